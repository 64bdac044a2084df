using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Exports;

/// <summary>
/// The slice of the subject's inventory one volume covers: the items after <see cref="AfterPosition"/> up to and including
/// <see cref="LastPosition"/> (positions in the subject's inventory order), and whether more items follow.
/// </summary>
public sealed record VolumePlan(string? AfterPosition, string? LastPosition, int Items, long EstimatedBytes, bool More);

/// <summary>What an export reads: the subject's active items, counted, cut into volumes, and opened as a volume's content. A port.</summary>
public interface IExportInventory
{
    Task<long> CountAsync(string tenantId, string subjectRef, CancellationToken cancellationToken);

    /// <summary>The next volume from <paramref name="afterPosition"/>: as many items as fit the limits (at least one when any is left).</summary>
    Task<VolumePlan> PlanVolumeAsync(string tenantId, string subjectRef, string? afterPosition, ExportLimits limits, CancellationToken cancellationToken);

    /// <summary>The content of one planned volume; consents and the subject's audit events only in the first (<paramref name="first"/>).</summary>
    IExportSource Open(Tenant tenant, string subjectRef, VolumePlan plan, bool first);
}

/// <summary>An upload that becomes visible only when completed; disposing it without completing aborts it.</summary>
public interface IExportUpload : IAsyncDisposable
{
    Stream Content { get; }

    Task CompleteAsync(CancellationToken cancellationToken);
}

/// <summary>Where export volumes are kept (the exports bucket, SSE-KMS under the tenant key, expiring after 7 days). A port.</summary>
public interface IExportStore
{
    Task<IExportUpload> BeginAsync(Tenant tenant, string jobId, int volume, ExportFormat format, CancellationToken cancellationToken);

    /// <summary>Deletes every version of a volume this step wrote after its subject's erasure had already purged it.</summary>
    Task DiscardAsync(string tenantId, string jobId, int volume, ExportFormat format, CancellationToken cancellationToken);
}

/// <summary>
/// Export volumes are copies of a person's data, so each is an inventory item of the subject (kind <c>export</c>): an erasure
/// soft-deletes and purges it with everything else, and a download of an erased volume is refused. A port.
/// </summary>
public interface IExportVolumeRegistry
{
    /// <summary>
    /// Registers volume <paramref name="volume"/> of the job once (a replay changes nothing) before any of its bytes are written,
    /// in a transaction that checks the subject's erasure lock: an erasure open now refuses it
    /// (<see cref="Errors.ErasureInProgressException"/>), and one that starts later finds the volume in the inventory.
    /// </summary>
    Task RegisterAsync(string tenantId, string subjectRef, string jobId, int volume, ExportFormat format, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The volume's inventory state once its upload completed (an erasure may have hidden or purged it meanwhile).</summary>
    Task<Records.ItemState?> StateAsync(string tenantId, string jobId, int volume, CancellationToken cancellationToken);

    /// <summary>False when the volume's inventory item is no longer active (its subject is being or was erased).</summary>
    Task<bool> IsAvailableAsync(string tenantId, string jobId, int volume, CancellationToken cancellationToken);

    static string ItemId(string jobId, int volume) => $"export_{jobId}_{volume}";
}

/// <summary>The ports the export workflow's steps work through.</summary>
public sealed record ExportPorts(
    IJobStore Jobs, ITenantRepository Tenants, IExportInventory Inventory, IExportStore Store, IExportVolumeRegistry Volumes, IAuditJournal Audit,
    IAuditChainStore Chain, ExportLimits Limits, TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;

    /// <summary>Lays out each volume's report.pdf (and a pdf export); the composition sets the PDF renderer (none: no report).</summary>
    public Documents.IDocumentRenderer? Reports { get; init; }

    /// <summary>The tenant's connectors serving exports, their calls and the callback; the composition sets the real ports (none: no fan-out).</summary>
    public Connectors.ConnectorPorts? Connectors { get; init; }
}

/// <summary>The state the export workflow carries: ids and whether another volume follows; never data.</summary>
public sealed record ExportState(string TenantId, string JobId, int Execution) : Jobs.Workflow.IWorkflowState
{
    public bool More { get; init; }

    public int Volume { get; init; }

    /// <summary>The connectors this execution calls (the Map's items): those serving exports not yet confirmed for the job.</summary>
    public IReadOnlyList<string>? Connectors { get; init; }

    /// <summary>How long each connector has to answer, in seconds (API.md's P7D, scaled): the callback task's TimeoutSecondsPath.</summary>
    public int ConnectorTimeoutSeconds { get; init; }

    /// <summary>What the Map's iterations ended with; read by SettleConnectors.</summary>
    public IReadOnlyList<Connectors.ConnectorOutcome>? ConnectorResults { get; init; }
}
