using System.Management.Automation;
using CicdOps.Engine;

namespace CicdOps.Cmdlets.Infrastructure;

/// <summary>Turns the engine's one exception type into the ErrorRecord PowerShell users expect.</summary>
public static class CicdErrorRecords
{
    public static ErrorCategory CategoryOf(CicdErrorKind kind) => kind switch
    {
        CicdErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        CicdErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        CicdErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        CicdErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        CicdErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        CicdErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        CicdErrorKind.SecurityError => ErrorCategory.SecurityError,
        _ => ErrorCategory.NotSpecified,
    };

    public static ErrorRecord From(CicdException ex)
    {
        var record = new ErrorRecord(ex, ex.ErrorId, CategoryOf(ex.Kind), ex.Target);
        if (ex.RecommendedAction is not null)
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = ex.RecommendedAction };
        return record;
    }

    /// <summary>An error the cmdlet itself reports (not from the engine), e.g. a failed deployment.</summary>
    public static ErrorRecord Create(string errorId, ErrorCategory category, string message, object? target, string? recommendedAction = null)
    {
        var record = new ErrorRecord(new InvalidOperationException(message), errorId, category, target);
        if (recommendedAction is not null)
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = recommendedAction };
        return record;
    }
}
