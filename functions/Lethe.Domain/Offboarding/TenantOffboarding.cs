using System.Globalization;
using System.Text;
using Lethe.Domain.Audit;
using Lethe.Domain.BackupScrub;
using Lethe.Domain.Certificates;
using Lethe.Domain.Exports;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.KeyRotation;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Offboarding;

/// <summary>
/// The state carried between the offboarding's steps (workflows/tenant-offboarding.asl.json): ids, where the workflow goes
/// next, the Wait states' moments, and the page loops' cursor; never data.
/// </summary>
public sealed record TenantOffboardingState(string TenantId, string JobId, int Execution) : IPagedWorkflowState
{
    public string? Resume { get; init; }

    /// <summary>Where Begin sends the workflow (<see cref="OffboardingRoutes"/>): a fresh run drains; a resumed one goes on where its job is.</summary>
    public string? Route { get; init; }

    /// <summary>The moment the next Wait state ends (writers' cache, the drain's next look, the end of the download window).</summary>
    public string? WaitUntil { get; init; }

    /// <summary>Every other job of the tenant is closed: the offboarding may export and purge.</summary>
    public bool Drained { get; init; }

    /// <summary>The job packages a tenant-wide export before it purges.</summary>
    public bool FinalExport { get; init; }

    public string? Cursor { get; init; }

    public long Page { get; init; }

    public int PagesInExecution { get; init; }

    public int PageSize { get; init; } = TenantOffboardingWorkflow.PageSize;

    public int PagesPerExecution { get; init; } = WorkflowPaging.DefaultPagesPerExecution;

    public bool More { get; init; }

    public bool HandOver { get; init; }

    /// <summary>For the notice: the certificate issued, and what happened to the tenant key (<see cref="TenantKeyActions"/>).</summary>
    public string? CertificateId { get; init; }

    public string? TenantKeyAction { get; init; }

    public static TenantOffboardingState From(WorkflowInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new TenantOffboardingState(input.TenantId, input.JobId, input.Execution)
        {
            Resume = input.Resume,
            Cursor = input.Cursor,
            Page = input.Page,
            PageSize = Math.Clamp(input.PageSize, 1, TenantOffboardingWorkflow.PageSize),
            PagesPerExecution = Math.Max(1, input.PagesPerExecution),
        };
    }
}

/// <summary>The values of <see cref="TenantOffboardingState.Route"/>, one per Choice branch after Begin.</summary>
public static class OffboardingRoutes
{
    public const string Drain = "drain";
    public const string Export = "export";
    public const string DownloadWindow = "download-window";
    public const string Purge = "purge";
    public const string Shred = "shred";
    public const string Certify = "certify";
}

/// <summary>What became of the tenant key, as the certificate and the notice say it.</summary>
public static class TenantKeyActions
{
    /// <summary>A platform key: scheduled for deletion (unusable at once), with every key a rotation retained.</summary>
    public const string DeletionScheduled = "deletion-scheduled";

    /// <summary>The tenant's own key (BYOK): Lethe cannot delete it; the tenant is told to.</summary>
    public const string DeleteYourOwnKey = "delete-your-own-key";

    /// <summary>The tenant never had a key (nothing was ever encrypted for it).</summary>
    public const string None = "none";

    public static string Of(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return tenant.ByokKey ? DeleteYourOwnKey : tenant.KeyArn is null ? None : DeletionScheduled;
    }

    /// <summary>The platform keys of the tenant Lethe schedules for deletion: its key, a rotation's target, and every key a rotation kept.</summary>
    public static IReadOnlyList<string> PlatformKeysOf(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var keys = new List<string>();
        if (!tenant.ByokKey && tenant.KeyArn is { } key)
        {
            keys.Add(key);
        }

        if (!tenant.NextKeyByok && tenant.NextKeyArn is { } next)
        {
            keys.Add(next);
        }

        keys.AddRange(tenant.RetainedKeyArns);
        return keys.Distinct(StringComparer.Ordinal).ToList();
    }
}

/// <summary>
/// Where the purge stands: its pass over every store (a pass that deleted nothing proves the tenant empty), what this pass deleted
/// so far, and the store adapter's own cursor inside the pass.
/// </summary>
public sealed record PurgeCursor(int Pass, long DeletedInPass, string? StoreCursor)
{
    public static PurgeCursor Start { get; } = new(1, 0, null);

    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        $"{Pass.ToString(CultureInfo.InvariantCulture)}\n{DeletedInPass.ToString(CultureInfo.InvariantCulture)}\n{StoreCursor}"));

    public static PurgeCursor Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return Start;
        }

        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split('\n', 3);
        return parts.Length == 3
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pass)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var deleted)
            ? new PurgeCursor(pass, deleted, parts[2].Length == 0 ? null : parts[2])
            : throw new FormatException("Not a purge cursor.");
    }
}

/// <summary>What one purge page deleted: items per store (table or bucket logical name), object versions among them, and where it goes on.</summary>
public sealed record TenantPurgePage(IReadOnlyDictionary<string, long> DeletedByStore, long ObjectVersions, string? NextCursor)
{
    public long Deleted => DeletedByStore.Values.Sum();
}

/// <summary>
/// Deletes everything a tenant has in every table and bucket, page by page: every item of its partition in each table (but the
/// tenant's own item and the offboarding job with its lock), every version and delete marker
/// under its prefix in each bucket and the data bucket's replica. The certificates and audit-archive buckets (Object Lock)
/// and the audit trail stay. A port (DynamoDB and S3).
/// </summary>
public interface ITenantPurger
{
    /// <param name="offboarding">The offboarding job: it and its lock stay, the record of the offboarding.</param>
    Task<TenantPurgePage> PurgePageAsync(Job offboarding, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// The subjects a tenant-wide export walks: collected from the inventory (every stored thing names its subject) into a list
/// of the job's own, then read back in order. A port (DynamoDB).
/// </summary>
public interface ITenantSubjects
{
    /// <summary>Adds the subjects of one inventory page to the job's list; returns where the inventory continues (null: done).</summary>
    Task<string?> CollectPageAsync(string tenantId, string jobId, string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The first subject of the job's list after <paramref name="afterSubjectRef"/> (null: from the start) that is not excluded,
    /// or null at its end.
    /// </summary>
    Task<string?> NextAsync(string tenantId, string jobId, string? afterSubjectRef, CancellationToken cancellationToken);

    /// <summary>Keeps a subject out of the job's export (an erasure of it was open when the offboarding drained the tenant).</summary>
    Task ExcludeAsync(string tenantId, string jobId, string subjectRef, CancellationToken cancellationToken);
}

/// <summary>
/// Where the tenant-wide export stands: collecting subjects from the inventory (<see cref="Collecting"/>, with its cursor), or
/// packaging <see cref="SubjectRef"/> from <see cref="SubjectPosition"/> on. Kept on the job (its export cursor).
/// </summary>
public sealed record TenantExportCursor(bool Collecting, string? InventoryCursor, string? SubjectRef, string? SubjectPosition)
{
    public static TenantExportCursor Start { get; } = new(true, null, null, null);

    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        string.Join('\n', Collecting ? "collect" : "package", InventoryCursor ?? "", SubjectRef ?? "", SubjectPosition ?? "")));

    public static TenantExportCursor Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return Start;
        }

        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(cursor)).Split('\n');
        static string? Field(string value) => value.Length == 0 ? null : value;
        return parts.Length == 4 && parts[0] is "collect" or "package"
            ? new TenantExportCursor(parts[0] == "collect", Field(parts[1]), Field(parts[2]), Field(parts[3]))
            : throw new FormatException("Not a tenant export cursor.");
    }
}

/// <summary>The ports the offboarding's steps work through.</summary>
public sealed record TenantOffboardingPorts(
    IJobStore Jobs,
    ITenantRepository Tenants,
    ILegalHoldRepository Holds,
    IWorkflowStarter Workflows,
    ITenantSubjects Subjects,
    IExportInventory ExportInventory,
    IExportStore ExportStore,
    ITenantPurger Purger,
    ITenantKeyRetirement Keys,
    IAuditJournal Audit,
    IAuditChainStore Chain,
    IEvidenceSigner Signer,
    ICertificateStore Certificates,
    IBackupScrubStarter Scrubs,
    ExportLimits Limits,
    TimeProvider Clock)
{
    /// <summary>Where the workflow's notices go (its completion, a failure); the composition sets the real port.</summary>
    public Notifications.INotifications Notices { get; init; } = Notifications.NotificationsOff.Instance;

    /// <summary>Where the terminated tenant's e-mail subscriptions are removed; the composition sets the real port.</summary>
    public Notifications.IEmailSubscriptions Subscriptions { get; init; } = Notifications.EmailSubscriptionsOff.Instance;

    /// <summary>Lays out each final export volume's report.pdf; the composition sets the PDF renderer (none: no report).</summary>
    public Documents.IDocumentRenderer? Reports { get; init; }

    /// <summary>
    /// How long a writer may keep a tenant it read (the API's tenant cache) plus the longest an API request may still be in
    /// flight: after this, every change that was not refused has landed.
    /// </summary>
    public TimeSpan WriterCacheAge { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// How long a step of a stopped execution may still run (a Lambda invocation outlives the stop): after cancelling a job,
    /// the drain waits this long before it calls the tenant drained, so nothing lands behind the purge.
    /// </summary>
    public TimeSpan StragglerDelay { get; init; } = TimeSpan.FromMinutes(16);
}

/// <summary>workflows/tenant-offboarding.asl.json as the kernel sees it.</summary>
public static class TenantOffboardingWorkflow
{
    public static readonly AuditActor Actor = new("lethe-tenant-offboarding", "system");

    /// <summary>Items or object versions per purge page (DynamoDB batches of 25, S3 DeleteObjects of up to 1,000).</summary>
    public const int PageSize = 500;

    /// <summary>Purge passes before the offboarding gives up: a pass that deletes nothing proves the tenant empty; a writer that keeps adding is a fault.</summary>
    public const int MaxPasses = 3;

    /// <summary>How often (policy time, scaled) the drain looks again at the tenant's other jobs.</summary>
    public static readonly TimeSpan DrainPoll = TimeSpan.FromMinutes(1);

    /// <summary>How long (policy time, scaled) the drain waits for jobs nobody may cancel (a purge under way, a backup scrub) before it fails.</summary>
    public static readonly TimeSpan MaxDrain = TimeSpan.FromDays(35);

    /// <summary>How long (policy time, scaled) the final export stays downloadable before the purge deletes it: the export link's lifetime.</summary>
    public static TimeSpan DownloadWindow => Policies.LifecyclePolicy.ExportLinkLifetime;

    /// <summary>The job's <c>PurgedByStore</c> entry that counts the tenant keys scheduled for deletion.</summary>
    public const string TenantKeys = "tenantKeys";

    public static WorkflowDefinition Definition { get; } = new("tenant-offboarding", [JobType.TenantOffboarding], Actor, "tenant-offboarding")
    {
        HandOverPhases = [JobPhases.Package, JobPhases.Purge],
        // Every step runs twice to the same end, so a lost execution starts again in its phase (Begin routes it there).
        RestartPhases = [JobPhases.Validate, JobPhases.Drain, JobPhases.Package, JobPhases.DownloadWindow, JobPhases.Purge, JobPhases.Shred, JobPhases.Certify],
    };
}

/// <summary>A legal hold of the tenant stands: nothing may be offboarded; the tenant is active again and nothing was deleted.</summary>
public sealed class LegalHoldActiveException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.LegalHoldActive";
}

/// <summary>Jobs of the tenant that nobody may cancel stayed open past the drain's limit: nothing was deleted.</summary>
public sealed class JobsStillOpenException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.JobsStillOpen";
}

/// <summary>Every purge pass still found data of the tenant (something kept writing): the tenant is not certified or terminated.</summary>
public sealed class TenantPurgeIncompleteException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.TenantPurgeIncomplete";
}
