using Lethe.Api.Problems;
using Lethe.Aws.Evidence;

namespace Lethe.Api.Endpoints;

/// <summary>
/// The public keys that verify certificates offline (API.md, Certificates), as PEM (SubjectPublicKeyInfo). No token: a
/// verifier needs nothing else. A key id may be a KMS key ARN, which holds a slash: it works as one path segment with the slash
/// encoded (<c>%2F</c>, as generated clients encode a path parameter) and, for older clients, unencoded; every key that ever
/// signed stays published under its id.
/// </summary>
public static class CertificateKeyEndpoints
{
    public const string PemContentType = "application/x-pem-file";

    public static IEndpointRouteBuilder MapCertificateKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        var keys = routes.MapGroup("/v1/certificates").WithTags("Certificates").AllowAnonymous();
        keys.MapGet("/public-key", CurrentAsync).WithName("GetCertificatePublicKey")
            .WithSummary("The current P-256 signing key as PEM: openssl dgst -sha256 -verify key.pem -signature sig.der payload.json")
            .Produces<string>(contentType: PemContentType);
        keys.MapGet("/public-keys/{**keyId}", ByIdAsync).WithName("GetCertificatePublicKeyById")
            .WithSummary("The public key of any signing key that ever signed, by its key id.")
            .Produces<string>(contentType: PemContentType).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<IResult> CurrentAsync(KmsEvidenceSigner signer, HttpContext http) =>
        Pem(await signer.PublicKeyAsync(signer.KeyId, http.RequestAborted), signer.KeyId, http);

    private static async Task<IResult> ByIdAsync(string keyId, KmsEvidenceSigner signer, HttpContext http)
    {
        // Routing leaves an encoded slash (%2F) as it came: the key id is the value decoded.
        keyId = Uri.UnescapeDataString(keyId);
        if (!signer.IsKnownKey(keyId))
        {
            return ProblemTypes.NotFound(http, "signing key");
        }

        return Pem(await signer.PublicKeyAsync(keyId, http.RequestAborted), keyId, http);
    }

    private static IResult Pem(byte[] subjectPublicKeyInfo, string keyId, HttpContext http)
    {
        http.Response.Headers["X-Key-Id"] = keyId;
        http.Response.Headers.CacheControl = "public, max-age=3600";
        return Results.Text(new string(System.Security.Cryptography.PemEncoding.Write("PUBLIC KEY", subjectPublicKeyInfo)) + "\n", PemContentType);
    }
}
