using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Canonical;

namespace Lethe.Domain.Certificates;

/// <summary>What an erasure removed, counted from the inventory's final states (never from what a step believed it did).</summary>
public sealed record ErasureTally(
    long Items,
    IReadOnlyDictionary<string, long> ByCategory,
    IReadOnlyDictionary<string, long> ByStore,
    long ObjectVersions,
    long Restored,
    long Held)
{
    /// <summary>Records masked rather than deleted (the tenant's erasure settings): not part of <see cref="Items"/>.</summary>
    public long Masked { get; init; }
}

/// <summary>The facts a deletion certificate states (DESIGN.md, Certificates). The subject appears only as its keyed hash.</summary>
public sealed record DeletionFacts(
    string TenantId,
    string SubjectRef,
    string RequestId,
    DateTimeOffset RequestedAt,
    DateTimeOffset CompletedAt,
    DateTimeOffset Deadline,
    DateTimeOffset RecoveryWindowEndedAt,
    ErasureTally Tally,
    string ShredMethod,
    string ShreddedKekId,
    ChainHead AuditHead,
    string SigningKeyId)
{
    /// <summary>What each of the tenant's other systems confirmed through its connector (API.md), in name order.</summary>
    public IReadOnlyList<ConnectorConfirmation> Connectors { get; init; } = [];
}

/// <summary>One connector's confirmation as a certificate states it: its name, status, the items it erased and when it answered.</summary>
public sealed record ConnectorConfirmation(string Name, string Status, long Items, DateTimeOffset AnsweredAt);

/// <summary>A certificate as stored and served: the signed canonical bytes are the truth, everything else is a copy.</summary>
public sealed record SignedCertificate(string CertificateId, string RequestId, string TenantId, string Type, byte[] Payload, byte[] Signature, string KeyId)
{
    public const string Algorithm = "ECDSA_SHA_256";
}

/// <summary>
/// Builds the RFC 8785 canonical payload of a deletion certificate: strings and integers only, and small enough for KMS to
/// sign as a RAW message (≤ 4,096 bytes) whatever the tenant's categories: at most <see cref="MaxCategories"/> categories are
/// named, the rest are summed under <c>other</c>.
/// </summary>
public static class DeletionCertificate
{
    public const int FormatVersion = 1;
    public const int MaxPayloadBytes = 4096;
    public const int MaxCategories = 24;

    public static string IdFor(string requestId) => $"cert_{requestId}";

    public static byte[] Payload(DeletionFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var tally = facts.Tally;
        var body = new JsonObject
        {
            ["certificateId"] = IdFor(facts.RequestId),
            ["type"] = "deletion",
            ["version"] = FormatVersion,
            ["tenantId"] = facts.TenantId,
            ["subjectRef"] = facts.SubjectRef,
            ["requestId"] = facts.RequestId,
            ["requestedAt"] = AuditChain.FormatTime(facts.RequestedAt),
            ["recoveryWindowEndedAt"] = AuditChain.FormatTime(facts.RecoveryWindowEndedAt),
            ["completedAt"] = AuditChain.FormatTime(facts.CompletedAt),
            ["deadline"] = AuditChain.FormatTime(facts.Deadline),
            ["deadlineMet"] = facts.CompletedAt <= facts.Deadline ? "yes" : "no",
            ["counts"] = new JsonObject
            {
                ["itemsErased"] = tally.Items,
                ["itemsMasked"] = tally.Masked,
                ["byCategory"] = Categories(tally.ByCategory),
                ["byStore"] = ToObject(tally.ByStore),
                ["objectVersionsDeleted"] = tally.ObjectVersions,
                ["restoredBeforePurge"] = tally.Restored,
                ["retainedUnderLegalHold"] = tally.Held,
            },
            ["methods"] = new JsonObject
            {
                ["dynamodb"] = "DeleteItem (BatchWriteItem)",
                ["s3"] = "DeleteObjects of every version",
                ["cryptoShred"] = facts.ShredMethod,
                ["shreddedKekId"] = facts.ShreddedKekId,
            },
            ["connectors"] = new JsonArray([.. facts.Connectors.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["status"] = c.Status,
                ["items"] = c.Items,
                ["answeredAt"] = AuditChain.FormatTime(c.AnsweredAt),
            })]),
            ["auditHead"] = new JsonObject { ["seq"] = facts.AuditHead.Seq, ["hash"] = facts.AuditHead.Hash },
            ["signingKeyId"] = facts.SigningKeyId,
        };
        return Canonical(body);
    }

    /// <summary>The RFC 8785 bytes of a certificate body, refused when KMS could not sign them as one RAW message.</summary>
    internal static byte[] Canonical(JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var document = JsonDocument.Parse(body.ToJsonString());
        var payload = CanonicalJson.SerializeToUtf8(document.RootElement);
        if (payload.Length > MaxPayloadBytes)
        {
            throw new InvalidOperationException($"A certificate payload of {payload.Length} bytes exceeds the {MaxPayloadBytes} bytes KMS signs as RAW.");
        }

        return payload;
    }

    /// <summary>Counts per category, the largest <see cref="MaxCategories"/> named and the rest summed under <c>other</c>.</summary>
    internal static JsonObject Categories(IReadOnlyDictionary<string, long> byCategory)
    {
        var ordered = byCategory.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
        var named = ordered.Take(MaxCategories).ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        var rest = ordered.Skip(MaxCategories).Sum(c => c.Value);
        if (rest > 0)
        {
            named["other"] = named.GetValueOrDefault("other") + rest;
        }

        return ToObject(named);
    }

    internal static JsonObject ToObject(IReadOnlyDictionary<string, long> values)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            result[key] = value;
        }

        return result;
    }
}

/// <summary>Certificates, written once under the request id into the Object-Lock bucket. A port.</summary>
public interface ICertificateStore
{
    /// <summary>Writes the certificate unless one exists for its request; returns whichever is stored (a replay gets the first).</summary>
    Task<SignedCertificate> PutOnceAsync(SignedCertificate certificate, CancellationToken cancellationToken);

    Task<SignedCertificate?> FindAsync(string tenantId, string requestId, string type, CancellationToken cancellationToken);

    /// <summary>The request's certificates: its deletion or retention certificate and, once issued, the supplemental backup-scrub one.</summary>
    Task<IReadOnlyList<SignedCertificate>> ListAsync(string tenantId, string requestId, CancellationToken cancellationToken);
}
