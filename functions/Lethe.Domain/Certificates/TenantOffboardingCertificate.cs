using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Certificates;

/// <summary>What an offboarding did, from the counters its pages added to the job and the tenant's keys as they stood.</summary>
public sealed record TenantOffboardingFacts(
    string TenantId,
    string JobId,
    DateTimeOffset RequestedAt,
    DateTimeOffset CompletedAt,
    DateTimeOffset Deadline,
    ErasureCounts Counts,
    bool FinalExport,
    int ExportVolumes,
    long ExportedItems,
    string TenantKeyAction,
    string? ByokKeyArn,
    IReadOnlyList<string> KeysScheduledForDeletion,
    ChainHead AuditHead,
    string SigningKeyId);

/// <summary>
/// The canonical payload of a <c>tenant-offboarding</c> certificate (API.md): every item, record, object version, KEK and job of
/// the tenant deleted (per store, passes until one found nothing), the final export if one was made, what became of the tenant's
/// keys (scheduled for deletion by id, or, for a BYOK key, the tenant told to delete its own), and whether it all happened inside
/// the 90-day deadline set on the job when it was requested.
/// </summary>
public static class TenantOffboardingCertificate
{
    public const string Type = "tenant-offboarding";

    /// <summary>Key ids a certificate names (the payload stays under the 4 KB KMS signs): the rest are counted.</summary>
    public const int NamedKeys = 8;

    public static string ByokNotice =>
        "The tenant key is the tenant's own (BYOK): Lethe neither holds nor deletes it. Schedule its deletion in your KMS account to destroy the last copy of the key material.";

    public static byte[] Payload(TenantOffboardingFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var byStore = facts.Counts.PurgedByStore.Where(s => s.Key != Offboarding.TenantOffboardingWorkflow.TenantKeys).ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
        var keys = new JsonObject
        {
            ["tenantKey"] = facts.TenantKeyAction,
            ["scheduledForDeletion"] = new JsonArray(facts.KeysScheduledForDeletion.Take(NamedKeys).Select(k => (JsonNode)JsonValue.Create(KeyId(k))!).ToArray()),
            ["scheduledForDeletionCount"] = facts.KeysScheduledForDeletion.Count,
            ["pendingWindowDays"] = 30,
        };
        if (facts.ByokKeyArn is { } byok)
        {
            keys["byokKeyArn"] = byok;
            keys["byokNotice"] = ByokNotice;
        }

        return DeletionCertificate.Canonical(new JsonObject
        {
            ["certificateId"] = DeletionCertificate.IdFor(facts.JobId),
            ["type"] = Type,
            ["version"] = DeletionCertificate.FormatVersion,
            ["tenantId"] = facts.TenantId,
            ["requestId"] = facts.JobId,
            ["requestedAt"] = AuditChain.FormatTime(facts.RequestedAt),
            ["completedAt"] = AuditChain.FormatTime(facts.CompletedAt),
            ["deadline"] = AuditChain.FormatTime(facts.Deadline),
            ["deadlineMet"] = facts.CompletedAt <= facts.Deadline ? "yes" : "no",
            ["counts"] = new JsonObject
            {
                ["itemsDeleted"] = facts.Counts.Purged,
                ["byStore"] = DeletionCertificate.ToObject(byStore),
                ["objectVersionsDeleted"] = facts.Counts.VersionsDeleted,
                ["leftAfterFinalPass"] = 0,
            },
            ["finalExport"] = facts.FinalExport
                ? new JsonObject { ["volumes"] = facts.ExportVolumes, ["items"] = facts.ExportedItems, ["state"] = "deleted-after-download-window" }
                : new JsonObject { ["volumes"] = 0, ["state"] = "not-requested" },
            ["keys"] = keys,
            ["methods"] = new JsonObject
            {
                ["dynamodb"] = "DeleteItem (BatchWriteItem) of every item of the tenant's partition, passes until one finds none",
                ["s3"] = "DeleteObjects of every version and delete marker under the tenant's prefix, replica included",
                ["cryptoShred"] = "every subject KEK and the subject-ref key deleted; tenant platform keys scheduled for deletion",
                ["kept"] = "audit trail and certificates (Object Lock): pseudonymous, their subject refs unlinkable without the deleted keys",
            },
            ["auditHead"] = new JsonObject { ["seq"] = facts.AuditHead.Seq, ["hash"] = facts.AuditHead.Hash },
            ["signingKeyId"] = facts.SigningKeyId,
        });
    }

    /// <summary>The key id of a KMS key ARN (<c>…:key/{id}</c>), the form a certificate names keys in.</summary>
    public static string KeyId(string keyArn)
    {
        ArgumentNullException.ThrowIfNull(keyArn);
        var slash = keyArn.LastIndexOf('/');
        return slash >= 0 ? keyArn[(slash + 1)..] : keyArn;
    }
}
