using Lethe.Domain.Audit;
using Lethe.Domain.Certificates;
using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Records;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Erasure;

/// <summary>The subject is under a legal hold: nothing of it may be deleted. Step Functions matches <c>Lethe.LegalHold</c>.</summary>
public sealed class LegalHoldException(string message) : LetheException(message)
{
    public const string Name = "Lethe.LegalHold";

    public override string ErrorType => Name;
}

/// <summary>Items failed after retries: no shred, no certificate; the job ends failed with the items listed.</summary>
public sealed class ErasureIncompleteException(string message) : LetheException(message)
{
    public const string Name = "Lethe.ErasureIncomplete";

    public override string ErrorType => Name;
}

/// <summary>The state carried between the deletion workflow's steps: ids, cursor, counters; never data.</summary>
public sealed record ErasureState(string TenantId, string JobId, int Execution) : IPagedWorkflowState
{
    public string? Resume { get; init; }

    public string? Cursor { get; init; }

    public long Page { get; init; }

    public int PagesInExecution { get; init; }

    public int PageSize { get; init; } = WorkflowPaging.PageSize;

    public int PagesPerExecution { get; init; } = WorkflowPaging.DefaultPagesPerExecution;

    /// <summary>ISO 8601 UTC; the Wait state's TimestampPath.</summary>
    public string? PurgeAt { get; init; }

    /// <summary>Another page follows in this loop.</summary>
    public bool More { get; init; }

    /// <summary>This execution has done its share of pages: a fresh one continues from <see cref="Cursor"/>.</summary>
    public bool HandOver { get; init; }

    public bool Cancelled { get; init; }

    /// <summary>A legal hold paused the erasure (phase <c>held</c>): this execution ends, releasing the last hold resumes it.</summary>
    public bool Held { get; init; }

    /// <summary>How the subject's KEK was destroyed (<c>kek-deleted</c>, or <c>kek-replaced</c> when items survive) and its id.</summary>
    public string? ShredMethod { get; init; }

    public string? ShreddedKekId { get; init; }

    /// <summary>The connectors this execution calls (the Map's items): those serving deletions not yet confirmed for the job.</summary>
    public IReadOnlyList<string>? Connectors { get; init; }

    /// <summary>How long each connector has to answer, in seconds (API.md's P7D, scaled): the callback task's TimeoutSecondsPath.</summary>
    public int ConnectorTimeoutSeconds { get; init; }

    /// <summary>What the Map's iterations ended with (an answer's status, or the error that ended the wait); read by SettleConnectors.</summary>
    public IReadOnlyList<Connectors.ConnectorOutcome>? ConnectorResults { get; init; }

    public static ErasureState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ErasureState(input.TenantId, input.JobId, input.Execution)
        {
            Resume = input.Resume,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = Math.Clamp(input.PageSize, 1, WorkflowPaging.PageSize),
            PagesPerExecution = Math.Max(1, input.PagesPerExecution),
        };
    }
}

/// <summary>The ports the deletion workflow's steps work through.</summary>
public sealed record ErasurePorts(
    IJobStore Jobs,
    IErasureInventory Inventory,
    IErasureManifests Manifests,
    IDataPurger Purger,
    ISubjectKeyShredder Keys,
    ISurvivorRewrapper Rewrapper,
    IHoldCheck Holds,
    IAuditJournal Audit,
    IAuditChainStore Chain,
    IEvidenceSigner Signer,
    ICertificateStore Certificates,
    BackupScrub.IBackupScrubStarter Scrubs,
    ITenantRepository Tenants,
    TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;

    /// <summary>The tenant's connectors, their calls and the callback; the composition sets the real ports (none: no fan-out).</summary>
    public Connectors.ConnectorPorts? Connectors { get; init; }

    /// <summary>Opens the records a deletion masks (its <see cref="Jobs.Job.MaskedCategories"/>); the composition sets the real port.</summary>
    public IMaskingReader? Masking { get; init; }
}

/// <summary>workflows/deletion.asl.json as the kernel sees it.</summary>
public static class ErasureWorkflow
{
    public static readonly AuditActor Actor = new("lethe-deletion-workflow", "system");

    public static WorkflowDefinition Definition { get; } = new("deletion", [JobType.Deletion], Actor, "erasure")
    {
        HandOverPhases = [JobPhases.SoftDelete, JobPhases.Purge],
        RestartPhases = [JobPhases.Validate, JobPhases.SoftDelete, JobPhases.Purge, JobPhases.Connectors],
        // Paused by a legal hold: the stop that ended the execution is the pause itself.
        IsPaused = job => job.Phase == JobPhases.Held,
        FailureMessage = (error, cause) => error == LegalHoldException.Name
            ? "The subject is under a legal hold: nothing was deleted."
            : WorkflowDefinition.DefaultFailureMessage(error, cause),
    };
}

/// <summary>Which of an erasure's items a soft-delete page hides.</summary>
public static class ErasureItems
{
    /// <summary>
    /// Active and archived items not restored from this erasure, and items another erasure (cancelled) or a single delete left
    /// hidden, which this erasure takes over. Restored-from-this-erasure items were kept on purpose and stay.
    /// </summary>
    public static bool IsToHide(InventoryItem item, string jobId)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.State switch
        {
            ItemState.Active or ItemState.Archived => item.RestoredFrom != jobId,
            ItemState.SoftDeleted => item.ErasureJobId != jobId,
            _ => false,
        };
    }
}
