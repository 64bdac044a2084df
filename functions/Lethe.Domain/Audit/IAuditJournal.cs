namespace Lethe.Domain.Audit;

/// <summary>
/// Where audited actions are first written (DESIGN.md): each event as its own item with a unique key, durable before the API
/// answers; the chainer links them into the hash chain afterwards. A port: DynamoDB in Lethe.Aws.
/// </summary>
public interface IAuditJournal
{
    /// <summary>Writes the event once: a replay with the same <see cref="AuditEvent.EventId"/> changes nothing.</summary>
    Task AppendAsync(AuditEvent evt, CancellationToken cancellationToken);
}

/// <summary>Audit action names: a noun and what happened to it.</summary>
public static class AuditActions
{
    public const string TenantCreate = "tenant.create";
    public const string TenantUpdate = "tenant.update";
    public const string RetentionUpdate = "settings.retention.update";
    public const string ArchiveUpdate = "settings.archive.update";
    public const string RequestSettingsUpdate = "settings.requests.update";
    public const string ErasureSettingsUpdate = "settings.erasure.update";
    public const string LegalHoldCreate = "legal-hold.create";
    public const string LegalHoldDelete = "legal-hold.delete";
    public const string Success = "success";
    public const string Denied = "denied";
    public const string Failure = "failure";
}
