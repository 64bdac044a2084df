using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.S3;
using Amazon.S3.Model;
using Lethe.Domain.Certificates;

namespace Lethe.Aws.Certificates;

/// <summary>A certificate as stored and served (API.md): the signed payload and signature in base64, the algorithm and key id.</summary>
public sealed record CertificateDocument(
    string CertificateId, string RequestId, string TenantId, string Type, string Payload, string Signature, string Algorithm, string KeyId);

/// <summary>
/// Certificates in the Object-Lock certificates bucket (compliance mode, 7 years): <c>certificates/{tenant}/{requestId}/{type}.json</c>.
/// Written once: a replayed step finds the first and gets it back, and the put itself is conditional (<c>If-None-Match: *</c>).
/// </summary>
public sealed class S3CertificateStore(IAmazonS3 s3, string bucket) : ICertificateStore
{
    public static string Key(string tenantId, string requestId, string type) => $"certificates/{tenantId}/{requestId}/{type}.json";

    public async Task<SignedCertificate> PutOnceAsync(SignedCertificate certificate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (await FindAsync(certificate.TenantId, certificate.RequestId, certificate.Type, cancellationToken) is { } existing)
        {
            return existing;
        }

        var document = new CertificateDocument(
            certificate.CertificateId, certificate.RequestId, certificate.TenantId, certificate.Type,
            Convert.ToBase64String(certificate.Payload), Convert.ToBase64String(certificate.Signature), SignedCertificate.Algorithm, certificate.KeyId);
        try
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = Key(certificate.TenantId, certificate.RequestId, certificate.Type),
                ContentBody = JsonSerializer.Serialize(document, AwsJsonContext.Default.CertificateDocument),
                ContentType = "application/json",
                IfNoneMatch = "*",
            }, cancellationToken);
            return certificate;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            return await FindAsync(certificate.TenantId, certificate.RequestId, certificate.Type, cancellationToken)
                ?? throw new InvalidOperationException("The certificate exists but could not be read back.", ex);
        }
    }

    public async Task<SignedCertificate?> FindAsync(string tenantId, string requestId, string type, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await s3.GetObjectAsync(bucket, Key(tenantId, requestId, type), cancellationToken);
            var document = await JsonSerializer.DeserializeAsync(response.ResponseStream, AwsJsonContext.Default.CertificateDocument, cancellationToken);
            return document is null ? null : new SignedCertificate(
                document.CertificateId, document.RequestId, document.TenantId, document.Type,
                Convert.FromBase64String(document.Payload), Convert.FromBase64String(document.Signature), document.KeyId);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<SignedCertificate>> ListAsync(string tenantId, string requestId, CancellationToken cancellationToken)
    {
        var found = new List<SignedCertificate>();
        foreach (var type in new[] { "deletion", RetentionCertificate.Type, TenantOffboardingCertificate.Type, BackupScrubCertificate.Type })
        {
            if (await FindAsync(tenantId, requestId, type, cancellationToken) is { } certificate)
            {
                found.Add(certificate);
            }
        }

        return found;
    }
}
