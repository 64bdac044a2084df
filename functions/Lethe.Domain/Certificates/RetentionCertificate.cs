using System.Text.Json.Nodes;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Certificates;

/// <summary>What one retention sweep of a tenant did, from the counters its pages added to the job (never an index read).</summary>
public sealed record RetentionFacts(
    string TenantId,
    string RunId,
    DateTimeOffset AsOf,
    DateTimeOffset CompletedAt,
    ErasureTally Tally,
    long Archived,
    long Failed,
    ChainHead AuditHead,
    string SigningKeyId);

/// <summary>
/// The canonical payload of a <c>retention</c> certificate (API.md: one per sweep run and tenant): how many items past their
/// retention were purged, per category and store, how many object versions went, what was kept under a legal hold, and the
/// audit head at completion. No subject is named, not even by ref: a run covers many.
/// </summary>
public static class RetentionCertificate
{
    public const string Type = "retention";

    public static byte[] Payload(RetentionFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var tally = facts.Tally;
        return DeletionCertificate.Canonical(new JsonObject
        {
            ["certificateId"] = DeletionCertificate.IdFor(facts.RunId),
            ["type"] = Type,
            ["version"] = DeletionCertificate.FormatVersion,
            ["tenantId"] = facts.TenantId,
            ["requestId"] = facts.RunId,
            ["dueAsOf"] = AuditChain.FormatTime(facts.AsOf),
            ["completedAt"] = AuditChain.FormatTime(facts.CompletedAt),
            ["counts"] = new JsonObject
            {
                ["itemsPurged"] = tally.Items,
                ["byCategory"] = DeletionCertificate.Categories(tally.ByCategory),
                ["byStore"] = DeletionCertificate.ToObject(tally.ByStore),
                ["objectVersionsDeleted"] = tally.ObjectVersions,
                ["archived"] = facts.Archived,
                ["skippedUnderLegalHold"] = tally.Held,
                ["failed"] = facts.Failed,
            },
            ["methods"] = new JsonObject
            {
                ["dynamodb"] = "DeleteItem (TransactWriteItems)",
                ["s3"] = "DeleteObjects of every version",
                ["cryptoShred"] = "kek-deleted for each subject with nothing left",
            },
            ["auditHead"] = new JsonObject { ["seq"] = facts.AuditHead.Seq, ["hash"] = facts.AuditHead.Hash },
            ["signingKeyId"] = facts.SigningKeyId,
        });
    }
}
