using System.Text.Json;
using Lethe.Aws.Tenants;
using Lethe.Domain.Audit;
using Lethe.Domain.Tenancy;
using Lethe.Lambda.Runtime;

namespace Lethe.Functions.Audit;

public sealed record AuditAnchorResult(int Tenants, int Anchored, IReadOnlyList<string> Failed);

/// <summary>
/// The anchor schedule (daily in AWS, on demand locally): signs every tenant's chain head into the audit archive. Input is the
/// EventBridge scheduled event, or <c>{"tenantIds":[…]}</c> for chosen tenants. One tenant's failure does not stop the others;
/// failed tenants are listed and the run fails as Lethe.Transient so the schedule's retry covers them.
/// </summary>
public sealed class AuditAnchorHandler(AuditAnchorer anchorer, DynamoTenantRepository tenants)
    : LambdaHandler<JsonElement, AuditAnchorResult>(FunctionsJsonContext.Default.JsonElement, FunctionsJsonContext.Default.AuditAnchorResult)
{
    protected override async Task<AuditAnchorResult> HandleAsync(JsonElement input, ILambdaContext context, CancellationToken cancellationToken)
    {
        var ids = input.ValueKind == JsonValueKind.Object && input.TryGetProperty("tenantIds", out var chosen) && chosen.ValueKind == JsonValueKind.Array
            ? chosen.EnumerateArray().Select(e => e.GetString()).Where(TenantId.IsWellFormed).Select(id => id!).ToList()
            : await tenants.ListIdsAsync(cancellationToken);
        var anchored = 0;
        var failed = new List<string>();
        foreach (var tenant in ids)
        {
            try
            {
                if (await anchorer.AnchorAsync(tenant, cancellationToken) is { Created: true })
                {
                    anchored++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed.Add(tenant);
            }
        }

        if (failed.Count > 0)
        {
            throw new Domain.Errors.TransientException($"Anchoring failed for {failed.Count} of {ids.Count} tenants: {string.Join(", ", failed)}.");
        }

        return new AuditAnchorResult(ids.Count, anchored, failed);
    }
}
