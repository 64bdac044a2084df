using System.Text.Json;
using Lethe.Domain.Documents;

namespace Lethe.Domain.Certificates;

/// <summary>
/// A signed certificate as a document for people (API.md, <c>GET …/certificate?format=pdf</c>): every fact of the signed payload
/// in reading order (nested facts under dotted labels), then the canonical payload, the signature and the key id exactly as
/// the JSON form carries them, and how to check them. The facts are read from the signed bytes, never from another copy.
/// </summary>
public static class CertificateDocument
{
    public static ReadableDocument Build(SignedCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var payload = JsonDocument.Parse(certificate.Payload);
        var facts = new List<DocumentLine>();
        Flatten(payload.RootElement, prefix: null, facts);
        List<DocumentSection> sections =
        [
            new("What it certifies", facts),
            new("Signature",
            [
                DocumentLine.Pair("Algorithm", SignedCertificate.Algorithm),
                DocumentLine.Code("Key id", certificate.KeyId),
                DocumentLine.Code("Payload (base64)", Convert.ToBase64String(certificate.Payload)),
                DocumentLine.Code("Signature (base64, DER)", Convert.ToBase64String(certificate.Signature)),
            ]),
            new("How to verify",
            [
                DocumentLine.Paragraph("The payload is the RFC 8785 canonical JSON of the facts above, in base64. The signature is ECDSA P-256 with "
                    + "SHA-256 over the decoded payload bytes. Verify it with the public key named by the key id (GET /v1/certificates/public-keys/{keyId}, "
                    + "PEM), or save the JSON form of this certificate and run ./lethe verify-certificate FILE. Trust the payload only: this page is a copy of it."),
            ]),
        ];
        return new ReadableDocument(Title(certificate.Type), $"{certificate.CertificateId} for request {certificate.RequestId}", sections);
    }

    private static string Title(string type) => type switch
    {
        "deletion" => "Deletion certificate",
        "backup-scrub" => "Backup scrub certificate (supplemental)",
        "retention" => "Retention run certificate",
        "tenant-offboarding" => "Tenant offboarding certificate",
        _ => $"Certificate ({type})",
    };

    private static void Flatten(JsonElement element, string? prefix, List<DocumentLine> lines)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix is null ? property.Name : $"{prefix}.{property.Name}", lines);
                }

                if (prefix is not null && !element.EnumerateObject().Any())
                {
                    lines.Add(DocumentLine.Pair(prefix, "none"));
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}[{index++}]", lines);
                }

                if (index == 0)
                {
                    lines.Add(DocumentLine.Pair(prefix ?? "items", "none"));
                }

                break;
            case JsonValueKind.String:
                lines.Add(DocumentLine.Pair(prefix ?? "value", element.GetString()!));
                break;
            default:
                lines.Add(DocumentLine.Pair(prefix ?? "value", element.GetRawText()));
                break;
        }
    }
}
