using System.Text.RegularExpressions;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.KeyRotation;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

/// <summary>POST …/key/rotate: null for a fresh platform key, or the ARN of the tenant's own key (BYOK).</summary>
public sealed record RotateKeyRequest(string? KeyArn);

/// <summary>Tenant key rotation (API.md, Tenants: key/rotate).</summary>
public static partial class KeyEndpoints
{
    public static IEndpointRouteBuilder MapKeyEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/tenants/{tenantId}/key/rotate", RotateAsync).RequireTenantAccess(Capability.ManageSettings)
            .WithTags("Tenants")
            .WithName("RotateTenantKey")
            .WithSummary("Rotates the tenant key (platform-admin; a tenant-admin only to a key the tenant brings): a key-rotation job rewraps every subject KEK and the subject-ref key under the new key with KMS ReEncrypt, then switches the tenant; data is never touched and reads and writes keep working. 409 while a rotation is open.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> RotateAsync(
        string tenantId, RotateKeyRequest? body, HttpContext http, KeyRotationRequests rotations, IKeyProbe keyProbe, SubjectRefs subjectRefs, AuditRecorder audit)
    {
        var principal = http.Principal();
        var byok = body?.KeyArn;
        if (byok is null && !principal.IsPlatformAdmin)
        {
            // A fresh platform key is the platform's to hand out; a tenant admin rotates to a key of the tenant's own.
            return ProblemTypes.Forbidden(http);
        }

        var tenant = http.Tenant()!;
        if (byok is not null)
        {
            if (!KmsKeyArn().IsMatch(byok))
            {
                return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["keyArn"] = ["Not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."] });
            }

            if (byok == tenant.KeyArn || byok == tenant.NextKeyArn)
            {
                return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["keyArn"] = ["This key is the tenant's key already."] });
            }

            if (await keyProbe.ProveUsableAsync(tenantId, byok, http.RequestAborted) is { } failure)
            {
                return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["keyArn"] = [$"The key cannot be this tenant's key: {failure}"] }, "byok-key-unusable");
            }
        }

        // A tenant that never needed a key yet gets its first one here: the rotation starts from a key it has.
        if (tenant.KeyArn is null)
        {
            await subjectRefs.TenantKeyArnAsync(tenant, http.RequestAborted);
            tenant = await http.RequestServices.GetRequiredService<Domain.Tenancy.ITenantRepository>().FindAsync(tenantId, http.RequestAborted) ?? tenant;
        }

        return await TenantJobResults.StartedAsync(
            http, tenantId, await rotations.SubmitAsync(tenant, byok, principal.AuditName, principal.PrimaryRole, http.RequestAborted), audit,
            "key-rotation.start", "rotation-in-progress", "Key rotation in progress",
            "A rotation of this tenant's key is running (jobId). Nothing was started.");
    }

    [GeneratedRegex(@"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex KmsKeyArn();
}
