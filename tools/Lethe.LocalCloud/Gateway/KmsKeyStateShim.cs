using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Lethe.LocalCloud.Gateway;

/// <summary>
/// moto stores a key's state but does not enforce it (DESIGN.md, moto table). This shim does what KMS does for cryptographic
/// operations on a key that is not enabled: <c>DisabledException</c> for a disabled key, <c>KMSInvalidStateException</c> for
/// one pending deletion or import, both HTTP 400 with the AWS JSON error shape. So BYOK revocation can be tested locally.
/// </summary>
internal static class KmsKeyStateShim
{
    private static readonly HashSet<string> CryptographicOperations = new(StringComparer.Ordinal)
    {
        "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext", "Sign", "Verify", "GenerateMac", "VerifyMac",
    };

    /// <returns>True when the shim answered the request itself (the key may not be used).</returns>
    public static async Task<bool> RefuseIfKeyUnusableAsync(HttpContext context, KmsRequest request, HttpMessageInvoker moto, Uri motoEndpoint)
    {
        if (!CryptographicOperations.Contains(request.Operation) || request.KeyId.Length == 0)
        {
            return false;
        }

        using var describe = new HttpRequestMessage(HttpMethod.Post, motoEndpoint)
        {
            Content = new StringContent(JsonSerializer.Serialize(new Dictionary<string, string> { ["KeyId"] = request.KeyId }), Encoding.UTF8, "application/x-amz-json-1.1"),
        };
        describe.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService.DescribeKey");
        describe.Headers.TryAddWithoutValidation("Authorization", context.Request.Headers.Authorization.ToString());
        using var response = await moto.SendAsync(describe, context.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            return false; // Unknown key: let moto give its own NotFoundException.
        }

        using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(context.RequestAborted), cancellationToken: context.RequestAborted);
        var metadata = body.RootElement.GetProperty("KeyMetadata");
        var state = metadata.TryGetProperty("KeyState", out var s) ? s.GetString() : "Enabled";
        var arn = metadata.TryGetProperty("Arn", out var a) ? a.GetString() : request.KeyId;
        var (type, message) = state switch
        {
            "Enabled" => (null, null),
            "Disabled" => ("DisabledException", $"{arn} is disabled."),
            _ => ("KMSInvalidStateException", $"{arn} is pending {(state == "PendingDeletion" ? "deletion" : "import")}."),
        };
        if (type is null)
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "application/x-amz-json-1.1";
        context.Response.Headers["x-amzn-ErrorType"] = type;
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new AwsError(type, message!), LocalCloudJsonContext.Default.AwsError), context.RequestAborted);
        return true;
    }
}
