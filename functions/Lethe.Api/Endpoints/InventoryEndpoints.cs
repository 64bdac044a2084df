using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Records;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;

namespace Lethe.Api.Endpoints;

public sealed record InventoryItemView(
    string Id, string Kind, string SubjectRef, string Category, string State, string Classification, string? Visibility,
    DateTimeOffset? RetainUntil, IReadOnlyDictionary<string, string> Location);

public sealed record InventoryPage(IReadOnlyList<InventoryItemView> Items, string? NextCursor);

/// <summary>The inventory (API.md, GET …/items): what exists for the tenant or one subject, for admins and auditors.</summary>
public static class InventoryEndpoints
{
    public static IEndpointRouteBuilder MapInventoryEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/tenants/{tenantId}/items", ListAsync).WithTags("Inventory").RequireTenantAccess(Capability.ReadInventory)
            .WithName("ListItems").WithSummary("Every stored thing (records, consents, files, exports) with its state, location and retention.")
            .Produces<InventoryPage>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    private static async Task<IResult> ListAsync(
        string tenantId, string? subjectId, string? state, string? cursor, int? limit, HttpContext http, IInventory inventory, SubjectRefs subjectRefs)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (subjectId is not null && !SubjectId.IsValid(subjectId))
        {
            errors["subjectId"] = [SubjectId.Rule];
        }

        ItemState? wanted = null;
        if (state is not null)
        {
            try
            {
                wanted = ItemStates.Parse(state);
            }
            catch (FormatException)
            {
                errors["state"] = ["active, soft_deleted, purging, archived or purged."];
            }
        }

        if (limit is < 1 or > 500)
        {
            errors["limit"] = ["1–500."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var subjectRef = subjectId is null ? null : await subjectRefs.ForAsync(http.Tenant()!, subjectId, http.RequestAborted);
        var (items, next) = await inventory.ListAsync(tenantId, subjectRef, wanted, cursor, limit ?? 100, http.RequestAborted);
        return TypedResults.Ok(new InventoryPage(
            items.Select(i => new InventoryItemView(i.ItemId, i.Kind, i.SubjectRef ?? string.Empty, i.Category, ItemStates.Name(i.State), i.Classification ?? "unknown", i.Visibility, i.RetainUntil, i.Location)).ToList(),
            next));
    }
}
