using System.Management.Automation;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>
/// -SampleInterval of Start-CicdListener and Install-CicdListenerService: a TimeSpan for PowerShell, whole seconds for
/// `cicdops listen --sample-interval`, so a fraction is refused rather than silently rounded.
/// </summary>
internal static class SampleIntervalParameter
{
    /// <summary>The whole seconds to pass on; a terminating-error record (naming -SampleInterval) when out of range.</summary>
    public static int Seconds(TimeSpan interval, out ErrorRecord? error)
    {
        error = null;
        var seconds = interval.TotalSeconds;
        if (seconds >= WatchdogOptions.MinSampleIntervalSeconds && seconds <= WatchdogOptions.MaxSampleIntervalSeconds && seconds == Math.Floor(seconds))
            return (int)seconds;
        error = CicdErrorRecords.Create("CicdInvalidArgument", ErrorCategory.InvalidArgument,
            $"-SampleInterval must be whole seconds from {WatchdogOptions.MinSampleIntervalSeconds} to {WatchdogOptions.MaxSampleIntervalSeconds} (got {interval}).", interval);
        return 0;
    }
}
