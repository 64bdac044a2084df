using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.KeyRotation;

/// <summary>
/// The state carried between the key rotation's steps (workflows/key-rotation.asl.json): ids, the Wait's moment, the rewrap
/// loop's cursor and how many verification passes the switch has made; never key material.
/// </summary>
public sealed record KeyRotationState(string TenantId, string JobId, int Execution) : IPagedWorkflowState
{
    public string? Resume { get; init; }

    /// <summary>When every writer's cached tenant names the new key (the WaitForWriters state's timestamp).</summary>
    public string? WaitUntil { get; init; }

    public string? Cursor { get; init; }

    public long Page { get; init; }

    public int PagesInExecution { get; init; }

    public int PageSize { get; init; } = KeyRotationWorkflow.PageSize;

    public int PagesPerExecution { get; init; } = WorkflowPaging.DefaultPagesPerExecution;

    public bool More { get; init; }

    public bool HandOver { get; init; }

    /// <summary>Verification passes the switch made that still found keys to rewrap (each sends the loop round once more).</summary>
    public int Passes { get; init; }

    /// <summary>The tenant now names the new key.</summary>
    public bool Switched { get; init; }

    /// <summary>When the old key is looked at (the WaitForStragglers state's timestamp).</summary>
    public string? RetireAt { get; init; }

    public static KeyRotationState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new KeyRotationState(input.TenantId, input.JobId, input.Execution)
        {
            Resume = input.Resume,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = Math.Clamp(input.PageSize, 1, KeyRotationWorkflow.PageSize),
            PagesPerExecution = Math.Max(1, input.PagesPerExecution),
        };
    }
}

/// <summary>What one rewrap page did: wrapped keys read, and those rewrapped under the target now.</summary>
public sealed record RewrapPage(long Examined, long Rewrapped, string? NextCursor);

/// <summary>
/// The tenant's wrapped keys (subject KEKs, pending replacements, the subject-ref key), each recording the KMS key it is
/// wrapped under. A port (the Keys table and KMS ReEncrypt: key material never leaves KMS in the clear, data is never touched).
/// </summary>
public interface IKeyRewrapper
{
    /// <summary>Rewraps the page's keys not yet under <paramref name="targetKeyArn"/>, each conditional on being unchanged since read.</summary>
    Task<RewrapPage> RewrapPageAsync(string tenantId, string targetKeyArn, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>How many wrapped keys each KMS key holds, from one full consistent pass.</summary>
    Task<IReadOnlyDictionary<string, long>> WrappedKeysAsync(string tenantId, CancellationToken cancellationToken);

    /// <summary>Throws <c>TenantKeyUnavailable</c> unless <paramref name="keyArn"/> (null: the tenant has none yet) is enabled.</summary>
    Task EnsureUsableAsync(string tenantId, string? keyArn, CancellationToken cancellationToken);
}

/// <summary>Retires a tenant key nobody needs any more. A port (S3 for the objects still sealed under it; KMS).</summary>
public interface ITenantKeyRetirement
{
    /// <summary>
    /// Whether any of the tenant's stored objects (every version) is sealed under another key than <paramref name="targetKeyArn"/>
    /// (or under one S3 does not name): such an object may need the old key, so it is kept. Stops at the first.
    /// </summary>
    Task<bool> AnyObjectNotUnderAsync(string tenantId, string targetKeyArn, CancellationToken cancellationToken);

    /// <summary>
    /// Schedules the key's deletion with the longest waiting period KMS allows; the key is unusable from now on. A key pending
    /// deletion already is done (a replay).
    /// </summary>
    Task ScheduleDeletionAsync(string keyArn, CancellationToken cancellationToken);
}

/// <summary>The ports the key rotation's steps work through.</summary>
public sealed record KeyRotationPorts(IJobStore Jobs, ITenantRepository Tenants, IKeyRewrapper Keys, ITenantKeyRetirement Retirement, IAuditJournal Audit, TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;

    /// <summary>
    /// How long a writer may keep a tenant it read (the API's tenant cache, at most a minute): after this, every write seals
    /// under the rotation's target, so nothing new is born under the old key.
    /// </summary>
    public TimeSpan WriterCacheAge { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long after the switch the old key is looked at: longer than any writer works on a tenant it read before the rotation
    /// began (a workflow step runs up to 15 minutes; an export volume or an archive written under the old key lands by then).
    /// </summary>
    public TimeSpan RetireDelay { get; init; } = TimeSpan.FromMinutes(16);
}

/// <summary>workflows/key-rotation.asl.json as the kernel sees it.</summary>
public static class KeyRotationWorkflow
{
    public static readonly AuditActor Actor = new("lethe-key-rotation", "system");

    /// <summary>Wrapped keys per page: one ReEncrypt and one conditional update each.</summary>
    public const int PageSize = 200;

    /// <summary>Verification passes before the rotation gives up (a writer that keeps sealing under an old key is a fault).</summary>
    public const int MaxPasses = 3;

    public static WorkflowDefinition Definition { get; } = new("key-rotation", [JobType.KeyRotation], Actor, "key-rotation")
    {
        HandOverPhases = [JobPhases.Rewrap],
        RestartPhases = [JobPhases.Validate, JobPhases.Rewrap, JobPhases.Switch],
    };
}

/// <summary>The tenant's key changed under the rotation (another rotation or an administrator): nothing is switched.</summary>
public sealed class KeyChangedException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.KeyChanged";
}

/// <summary>Keys under another KMS key kept appearing after every pass: the tenant is not switched.</summary>
public sealed class KeyRotationIncompleteException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.KeyRotationIncomplete";
}
