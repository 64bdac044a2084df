using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Domain.Audit;
using Lethe.Domain;

namespace Lethe.Aws.Evidence;

public sealed record AnchorDocument(
    [property: JsonPropertyName("anchor")] AnchorFields Anchor,
    [property: JsonPropertyName("payload")] string Payload,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("algorithm")] string Algorithm,
    [property: JsonPropertyName("keyId")] string KeyId);

public sealed record AnchorFields(
    [property: JsonPropertyName("tenantId")] string TenantId,
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("at")] string At);

/// <summary>Anchors as JSON documents in the Object-Lock audit-archive bucket: <c>anchors/{tenant}/{seq:D12}.json</c>.</summary>
public sealed class S3AnchorStore(IAmazonS3 s3, string bucket) : IAnchorStore
{
    private static string Prefix(string tenantId) => $"anchors/{tenantId}/";

    public async Task WriteAsync(SignedAnchor anchor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        var a = anchor.Anchor;
        var document = new AnchorDocument(
            new AnchorFields(a.TenantId, a.Seq, a.Hash, AuditChain.FormatTime(a.At)),
            Convert.ToBase64String(anchor.Payload), Convert.ToBase64String(anchor.Signature), AuditAnchor.Algorithm, a.KeyId);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = KeyFor(a.TenantId, a.Seq),
            ContentBody = JsonSerializer.Serialize(document, AwsJsonContext.Default.AnchorDocument),
            ContentType = "application/json",
        }, cancellationToken);
    }

    public async Task<IReadOnlyList<long>> ListSeqsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var seqs = new List<long>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = Prefix(tenantId), ContinuationToken = token }, cancellationToken);
            foreach (var entry in page.S3Objects ?? [])
            {
                var name = entry.Key[Prefix(tenantId).Length..];
                if (name.EndsWith(".json", StringComparison.Ordinal)
                    && long.TryParse(name[..^".json".Length], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
                {
                    seqs.Add(seq);
                }
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        seqs.Sort();
        return seqs;
    }

    public async Task<SignedAnchor?> FindAsync(string tenantId, long seq, CancellationToken cancellationToken)
    {
        AnchorDocument? document;
        try
        {
            using var obj = await s3.GetObjectAsync(bucket, KeyFor(tenantId, seq), cancellationToken);
            document = await JsonSerializer.DeserializeAsync(obj.ResponseStream, AwsJsonContext.Default.AnchorDocument, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }

        if (document is null)
        {
            return null;
        }

        // Only the signed payload is trusted; the "anchor" object beside it is a convenience copy.
        var payload = Convert.FromBase64String(document.Payload);
        using var signed = JsonDocument.Parse(payload);
        var root = signed.RootElement;
        return new SignedAnchor(
            new AuditAnchor(
                root.GetProperty("tenantId").GetString()!,
                root.GetProperty("seq").GetInt64(),
                root.GetProperty("hash").GetString()!,
                Timestamps.Parse(root.GetProperty("at").GetString()!),
                root.GetProperty("keyId").GetString()!),
            payload,
            Convert.FromBase64String(document.Signature));
    }

    private static string KeyFor(string tenantId, long seq) => $"{Prefix(tenantId)}{seq.ToString("D12", CultureInfo.InvariantCulture)}.json";
}
