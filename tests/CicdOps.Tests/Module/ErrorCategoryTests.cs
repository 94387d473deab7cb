using System.Management.Automation;
using CicdOps.Cmdlets.Infrastructure;
using CicdOps.Engine;
using Xunit;

namespace CicdOps.Tests.Module;

/// <summary>Each engine error kind becomes the ErrorCategory PowerShell users filter on.</summary>
public sealed class ErrorCategoryTests
{
    [Theory]
    [InlineData(CicdErrorKind.NotFound, ErrorCategory.ObjectNotFound)]
    [InlineData(CicdErrorKind.InvalidArgument, ErrorCategory.InvalidArgument)]
    [InlineData(CicdErrorKind.AlreadyExists, ErrorCategory.ResourceExists)]
    [InlineData(CicdErrorKind.InvalidOperation, ErrorCategory.InvalidOperation)]
    [InlineData(CicdErrorKind.ConnectionError, ErrorCategory.ConnectionError)]
    [InlineData(CicdErrorKind.PermissionDenied, ErrorCategory.PermissionDenied)]
    [InlineData(CicdErrorKind.SecurityError, ErrorCategory.SecurityError)]
    public void Kind_maps_to_category(CicdErrorKind kind, ErrorCategory expected) =>
        Assert.Equal(expected, CicdErrorRecords.CategoryOf(kind));

    [Fact]
    public void Every_engine_error_has_a_specific_category()
    {
        foreach (var error in Enum.GetValues<CicdError>())
            Assert.NotEqual(ErrorCategory.NotSpecified, CicdErrorRecords.CategoryOf(error.Kind()));
    }
}
