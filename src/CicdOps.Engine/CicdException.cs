namespace CicdOps.Engine;

/// <summary>
/// The one exception type the engine throws for anything a user can cause or fix.
/// Front ends turn it into one line (CLI) or an ErrorRecord (cmdlets) using <see cref="ErrorId"/>
/// and <see cref="Kind"/>; anything else escaping the engine is a bug.
/// </summary>
public sealed class CicdException : Exception
{
    public CicdException(CicdError error, string message, object? target = null, string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
        Target = target;
        RecommendedAction = recommendedAction;
    }

    public CicdError Error { get; }
    /// <summary>Stable id, e.g. "CicdProjectNotFound"; scripts may match on it.</summary>
    public string ErrorId => "Cicd" + Error;
    public CicdErrorKind Kind => Error.Kind();
    public object? Target { get; }
    public string? RecommendedAction { get; }
}

public enum CicdError
{
    ProjectNotFound,
    ProjectExists,
    InvalidProjectName,
    InvalidRepository,
    InvalidBranch,
    InvalidCommit,
    InvalidPath,
    InvalidPort,
    InvalidTimeout,
    InvalidArgument,
    RepositoryUnreachable,
    CommitNotFound,
    CheckoutFailed,
    DeploymentNotFound,
    NothingToCancel,
    NoRollbackTarget,
    CommitNeverDeployed,
    ProjectPinned,
    DataDirectoryUnavailable,
    ServiceUserFailed,
    SecretNotFound,
    InvalidSecretName,
    SecretDecryptionFailed,
    /// <summary>The detached worker process that runs deployments could not start or died at once.</summary>
    WorkerFailed,
    /// <summary>The state database is empty, damaged or from a newer version: restore a backup.</summary>
    StateUnusable,
    /// <summary>The fleet registry cannot be reached (network, credentials, server down).</summary>
    FleetRegistryUnavailable,
    /// <summary>The fleet registry's schema is newer than this CicdOps understands.</summary>
    FleetRegistryIncompatible,
    /// <summary>A fleet command needs this node to have joined a fleet first.</summary>
    NotInFleet,
    /// <summary>No fleet rollout has that id.</summary>
    FleetRolloutNotFound,
    /// <summary>No node of the fleet hosts the project a fleet action names.</summary>
    FleetProjectNotFound,
    /// <summary>No API token has that name or id.</summary>
    ApiTokenNotFound,
    /// <summary>An API token of that name exists already.</summary>
    ApiTokenExists,
    PipelineRunNotFound,
    /// <summary>No notification channel has that name.</summary>
    NotificationChannelNotFound,
    /// <summary>A notification channel with that name exists already.</summary>
    NotificationChannelExists,
    /// <summary>No dashboard session has that id.</summary>
    DashboardSessionNotFound,
    /// <summary>No pipeline artifact or cache matches (or it expired).</summary>
    ArtifactNotFound,
}

/// <summary>What kind of failure, so front ends can pick the right category (ErrorCategory, exit code).</summary>
public enum CicdErrorKind { NotFound, InvalidArgument, AlreadyExists, InvalidOperation, ConnectionError, PermissionDenied, SecurityError }

public static class CicdErrorKinds
{
    public static CicdErrorKind Kind(this CicdError e) => e switch
    {
        CicdError.ProjectNotFound or CicdError.DeploymentNotFound or CicdError.CommitNotFound or CicdError.SecretNotFound
            or CicdError.ApiTokenNotFound or CicdError.PipelineRunNotFound or CicdError.FleetRolloutNotFound or CicdError.FleetProjectNotFound
            or CicdError.NotificationChannelNotFound or CicdError.DashboardSessionNotFound or CicdError.ArtifactNotFound => CicdErrorKind.NotFound,
        CicdError.ProjectExists or CicdError.ApiTokenExists or CicdError.NotificationChannelExists => CicdErrorKind.AlreadyExists,
        CicdError.RepositoryUnreachable or CicdError.FleetRegistryUnavailable => CicdErrorKind.ConnectionError,
        CicdError.NothingToCancel or CicdError.NoRollbackTarget or CicdError.CommitNeverDeployed or CicdError.ProjectPinned
            or CicdError.CheckoutFailed or CicdError.WorkerFailed or CicdError.FleetRegistryIncompatible or CicdError.NotInFleet => CicdErrorKind.InvalidOperation,
        CicdError.DataDirectoryUnavailable or CicdError.ServiceUserFailed => CicdErrorKind.PermissionDenied,
        CicdError.SecretDecryptionFailed => CicdErrorKind.SecurityError,
        CicdError.StateUnusable => CicdErrorKind.InvalidOperation,
        _ => CicdErrorKind.InvalidArgument,
    };
}
