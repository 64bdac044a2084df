using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Lethe.Domain.Canonical;

namespace Lethe.Cli.Commands;

/// <summary>
/// <c>./lethe verify-certificate FILE [--public-key PEM | --url BASE]</c> (API.md): checks a deletion certificate offline.
/// Only the signed <c>payload</c> is trusted: it must be RFC 8785 canonical JSON, its ECDSA P-256 / SHA-256 signature must verify
/// under the public key of its <c>keyId</c>, and the convenience <c>certificate</c> copy, when present, must say the same.
/// Prints <c>valid</c> (exit 0) or <c>invalid: reason</c> (exit 1); usage errors exit 2.
/// </summary>
public static class VerifyCertificateCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "The certificate as GET …/requests/{id}/certificate returns it (JSON)." };
        var publicKey = new Option<FileInfo?>("--public-key") { Description = "The signing key's public key as PEM (GET /v1/certificates/public-keys/{keyId})." };
        var url = CliOptions.BaseUrl("A Lethe API base URL to fetch the public key of the certificate's keyId from. Default: http://localhost:8080.");
        var command = new Command("verify-certificate", "Verify a deletion certificate offline: valid (exit 0) or invalid: reason (exit 1).") { file, publicKey, url };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(publicKey) is not null && parse.GetValue(url) is not null)
            {
                await Console.Error.WriteLineAsync("lethe verify-certificate: give --public-key or --url, not both.");
                return 2;
            }

            var (valid, reason) = await VerifyAsync(parse.GetValue(file)!, parse.GetValue(publicKey), parse.GetValue(url) ?? new Uri("http://localhost:8080/"), cancellationToken);
            Console.WriteLine(valid ? "valid" : $"invalid: {reason}");
            return valid ? 0 : 1;
        });
        return command;
    }

    public static async Task<(bool Valid, string Reason)> VerifyAsync(FileInfo file, FileInfo? publicKey, Uri baseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(baseUrl);
        if (!file.Exists)
        {
            return (false, $"{file.FullName} does not exist");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(await File.ReadAllBytesAsync(file.FullName, cancellationToken));
        }
        catch (JsonException ex)
        {
            return (false, $"the file is not JSON ({ex.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "payload") is not { } payloadText || Text(root, "signature") is not { } signatureText
                || Text(root, "keyId") is not { } keyId)
            {
                return (false, "the file lacks payload, signature or keyId");
            }

            if (Text(root, "algorithm") is { } algorithm && algorithm != "ECDSA_SHA_256")
            {
                return (false, $"unsupported algorithm {algorithm}");
            }

            byte[] payload, signature;
            try
            {
                payload = Convert.FromBase64String(payloadText);
                signature = Convert.FromBase64String(signatureText);
            }
            catch (FormatException)
            {
                return (false, "payload or signature is not base64");
            }

            string canonical;
            try
            {
                using var parsed = JsonDocument.Parse(payload);
                canonical = CanonicalJson.Serialize(parsed.RootElement);
                if (root.TryGetProperty("certificate", out var copy) && CanonicalJson.Serialize(copy) != canonical)
                {
                    return (false, "the certificate object differs from the signed payload");
                }
            }
            catch (JsonException)
            {
                return (false, "the payload is not JSON");
            }

            if (!canonical.AsSpan().SequenceEqual(System.Text.Encoding.UTF8.GetString(payload)))
            {
                return (false, "the payload is not RFC 8785 canonical JSON");
            }

            string pem;
            try
            {
                pem = publicKey is not null
                    ? await File.ReadAllTextAsync(publicKey.FullName, cancellationToken)
                    : await FetchAsync(baseUrl, keyId, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or UnauthorizedAccessException or TaskCanceledException)
            {
                return (false, $"the public key could not be read ({ex.Message})");
            }

            using var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(pem);
            }
            catch (ArgumentException)
            {
                return (false, "the public key is not a PEM EC public key");
            }

            if (key.KeySize != 256)
            {
                return (false, $"the public key is {key.KeySize}-bit, not P-256");
            }

            return key.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)
                ? (true, string.Empty)
                : (false, "the signature does not match the payload under this key");
        }
    }

    private static async Task<string> FetchAsync(Uri baseUrl, string keyId, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using var response = await http.GetAsync(new Uri(baseUrl, $"v1/certificates/public-keys/{Uri.EscapeDataString(keyId)}"), cancellationToken);
        return response.IsSuccessStatusCode
            ? await response.Content.ReadAsStringAsync(cancellationToken)
            : throw new HttpRequestException($"{(int)response.StatusCode} from {baseUrl} for key {keyId}");
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
