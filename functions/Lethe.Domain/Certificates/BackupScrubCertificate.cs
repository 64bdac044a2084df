using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Certificates;

/// <summary>What a backup scrub established, from its own counters and its final look at the backups (never an index count).</summary>
public sealed record BackupScrubFacts(
    string TenantId,
    string SourceRequestId,
    string SourceType,
    string? SubjectRef,
    SignedCertificate Original,
    string ScrubJobId,
    DateTimeOffset DeletedAt,
    DateTimeOffset ScrubbedAt,
    DateTimeOffset BackupWindowEndedAt,
    DateTimeOffset CompletedAt,
    DateTimeOffset Deadline,
    TimeSpan CheckTolerance,
    long TombstonesRead,
    long ObjectKeysScrubbed,
    long VersionsDeleted,
    long ReplicaVersionsDeleted,
    bool ReplicaConfigured,
    int TablesChecked,
    int LongestRecoveryDays,
    ChainHead AuditHead,
    string SigningKeyId);

/// <summary>
/// The canonical payload of a supplemental <c>backup-scrub</c> certificate (API.md): it names the certificate it supplements by id
/// and by the SHA-256 of its signed payload, and states that by its completion no version, replica copy, PITR window or on-demand
/// backup from before the deletion was left.
/// </summary>
public static class BackupScrubCertificate
{
    public const string Type = "backup-scrub";

    /// <summary>The id of the supplemental certificate of a request (one per request; the deletion's is <c>cert_{requestId}</c>).</summary>
    public static string IdFor(string requestId) => $"cert_{requestId}_scrub";

    /// <summary>Lower-case hex SHA-256 of a signed payload: what a verifier recomputes from the original certificate's <c>payload</c>.</summary>
    public static string PayloadSha256(byte[] payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    /// <summary>
    /// The promise is that nothing deleted outlives the deadline in a copy or a backup: the copies were gone by it, the last PITR
    /// window from before the deletion ended by it, and the check that no other backup was left ran right after that window (a
    /// check long after, say once a forgotten backup was removed by hand, proves nothing about the deadline).
    /// </summary>
    public static bool DeadlineMet(BackupScrubFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return facts.ScrubbedAt <= facts.Deadline && facts.BackupWindowEndedAt <= facts.Deadline && facts.CompletedAt <= facts.BackupWindowEndedAt + facts.CheckTolerance;
    }

    public static byte[] Payload(BackupScrubFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var body = new JsonObject
        {
            ["certificateId"] = IdFor(facts.SourceRequestId),
            ["type"] = Type,
            ["version"] = DeletionCertificate.FormatVersion,
            ["tenantId"] = facts.TenantId,
            ["requestId"] = facts.SourceRequestId,
            ["scrubJobId"] = facts.ScrubJobId,
            ["supplements"] = new JsonObject
            {
                ["certificateId"] = facts.Original.CertificateId,
                ["type"] = facts.SourceType,
                ["payloadSha256"] = PayloadSha256(facts.Original.Payload),
            },
            ["deletedAt"] = AuditChain.FormatTime(facts.DeletedAt),
            ["scrubbedAt"] = AuditChain.FormatTime(facts.ScrubbedAt),
            ["backupWindowEndedAt"] = AuditChain.FormatTime(facts.BackupWindowEndedAt),
            ["backupsCheckedAt"] = AuditChain.FormatTime(facts.CompletedAt),
            ["completedAt"] = AuditChain.FormatTime(facts.CompletedAt),
            ["deadline"] = AuditChain.FormatTime(facts.Deadline),
            ["deadlineMet"] = DeadlineMet(facts) ? "yes" : "no",
            ["counts"] = new JsonObject
            {
                ["tombstonesRead"] = facts.TombstonesRead,
                ["objectKeysScrubbed"] = facts.ObjectKeysScrubbed,
                ["objectVersionsDeleted"] = facts.VersionsDeleted,
                ["replicaVersionsDeleted"] = facts.ReplicaVersionsDeleted,
                ["tablesChecked"] = facts.TablesChecked,
                ["backupsOlderThanDeletionLeft"] = 0,
            },
            ["backups"] = new JsonObject
            {
                ["pointInTimeRecoveryDaysMax"] = facts.LongestRecoveryDays,
                ["allowedDays"] = 30,
                ["replica"] = facts.ReplicaConfigured ? "scrubbed" : "none-configured",
            },
            ["methods"] = new JsonObject
            {
                ["s3"] = "DeleteObjects of every remaining version and delete marker of each purged key",
                ["dynamodb"] = "PITR window ended; no on-demand backup from before the deletion remains",
            },
            ["auditHead"] = new JsonObject { ["seq"] = facts.AuditHead.Seq, ["hash"] = facts.AuditHead.Hash },
            ["signingKeyId"] = facts.SigningKeyId,
        };
        if (facts.SubjectRef is { } subjectRef)
        {
            body["subjectRef"] = subjectRef;
        }

        return DeletionCertificate.Canonical(body);
    }
}
