namespace Lethe.Domain.Policies;

/// <summary>
/// Every figure of the product's published policies (DESIGN.md, "Policy figures"), in one place. Code asks this module;
/// no other file writes these numbers down.
/// </summary>
public static class LifecyclePolicy
{
    /// <summary>Retention of a data category when the tenant sets none.</summary>
    public static readonly IsoDuration DefaultRetention = IsoDuration.FromYears(2);

    public static readonly IsoDuration MinimumRetention = IsoDuration.FromDays(90);

    public static readonly IsoDuration MaximumRetention = IsoDuration.FromYears(7);

    public static readonly TimeSpan ApplicationLogRetention = TimeSpan.FromDays(90);

    public static readonly TimeSpan SecurityLogRetention = TimeSpan.FromDays(365);

    public static readonly TimeSpan AuditLogRetention = TimeSpan.FromDays(7 * IsoDuration.DaysPerYear);

    /// <summary>Backups are kept 30 days, rolling (also DynamoDB's PITR window).</summary>
    public static readonly TimeSpan BackupRetention = TimeSpan.FromDays(30);

    /// <summary>Hard delete completes within this time of an erasure request.</summary>
    public static readonly TimeSpan HardDeleteDeadline = TimeSpan.FromDays(30);

    /// <summary>Time kept for the purge itself before the hard-delete deadline.</summary>
    public static readonly TimeSpan PurgeBudget = TimeSpan.FromDays(1);

    /// <summary>Soft-deleted items can be restored this long (the deadline less the purge budget: 29 days).</summary>
    public static readonly TimeSpan RecoveryWindow = HardDeleteDeadline - PurgeBudget;

    /// <summary>Data past retention is archived or deleted within this time.</summary>
    public static readonly TimeSpan PastRetentionActionDeadline = TimeSpan.FromDays(7);

    /// <summary>A terminated tenant's data is gone within this time.</summary>
    public static readonly TimeSpan TenantTerminationDeadline = TimeSpan.FromDays(90);

    /// <summary>Backups are scrubbed of a deletion within this time of it.</summary>
    public static readonly TimeSpan BackupScrubDeadline = TimeSpan.FromDays(30);

    public static readonly TimeSpan ArchiveRetrievalMinimum = TimeSpan.FromHours(12);

    public static readonly TimeSpan ArchiveRetrievalMaximum = TimeSpan.FromHours(48);

    /// <summary>A retrieved archived item is readable (records) or downloadable (files) this long, then archived again.</summary>
    public static readonly TimeSpan RetrievedReadableWindow = TimeSpan.FromDays(7);

    /// <summary>Export download links expire after this time; every download is audited.</summary>
    public static readonly TimeSpan ExportLinkLifetime = TimeSpan.FromDays(7);

    /// <summary>A presigned URL handed out by a download is valid at most this long (not scaled: it is not a policy period).</summary>
    public static readonly TimeSpan PresignedUrlLifetime = TimeSpan.FromMinutes(5);

    /// <summary>
    /// DESIGN.md's time model: a tenant's time scale divides a named policy duration when a deadline is computed from it, and
    /// nothing else. Scale 1 (always, in AWS) leaves it unchanged.
    /// </summary>
    public static TimeSpan Scaled(TimeSpan policyDuration, int timeScale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeScale, 1);
        return policyDuration / timeScale;
    }

    /// <summary>The deadline <paramref name="policyDuration"/> after <paramref name="from"/>, for a tenant of the given time scale.</summary>
    public static DateTimeOffset Deadline(DateTimeOffset from, TimeSpan policyDuration, int timeScale) => from + Scaled(policyDuration, timeScale);
}
