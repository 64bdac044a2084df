using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Records;
using Lethe.Domain.Archive;
using Lethe.Domain.Erasure;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

/// <summary>POST …/items/{id}/retrieve: the S3 restore tier, <c>Standard</c> (default) or <c>Bulk</c>.</summary>
public sealed record RetrieveRequest(string? Tier);

public sealed record ItemAuditDetails(string ItemId, string Kind, string? SubjectRef, string? JobId);

/// <summary>Archived items (API.md, Records, uploads, items): an authorized retrieval, and the download of a retrieved file.</summary>
public static class ArchiveEndpoints
{
    public static IEndpointRouteBuilder MapArchiveEndpoints(this IEndpointRouteBuilder routes)
    {
        var items = routes.MapGroup("/v1/tenants/{tenantId}/items/{itemId}").WithTags("Items");
        items.MapPost("/retrieve", RetrieveAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("RetrieveArchivedItem")
            .WithSummary("Starts an archive-retrieval job for an archived item: restored by S3 (hours in AWS), then readable (records) or downloadable (files) for 7 days, then archived again. 409 for an item that is not archived or already being retrieved.")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        items.MapGet("/download", DownloadAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("DownloadRetrievedFile")
            .WithSummary("Redirects (302) to a retrieved archived file through a URL valid 5 minutes; audited. 409 while the file is not retrieved.")
            .Produces(StatusCodes.Status302Found).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> RetrieveAsync(
        string tenantId, string itemId, RetrieveRequest? body, HttpContext http, ArchiveRetrievalRequests retrievals, AuditRecorder audit)
    {
        var tier = body?.Tier ?? "Standard";
        if (!ArchiveRetrievalRequests.Tiers.Contains(tier))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["tier"] = [$"'{body?.Tier}' is not a restore tier: Standard or Bulk."] });
        }

        if (itemId.Length is 0 or > 128)
        {
            return ProblemTypes.NotFound(http, "item");
        }

        var principal = http.Principal();
        var outcome = await retrievals.SubmitAsync(http.Tenant()!, itemId, tier, principal.AuditName, principal.PrimaryRole, http.RequestAborted);
        // Granted and refused retrievals alike are audited (with the item's ref and kind, never content).
        Task AuditAsync(InventoryItem item, string result, string? jobId) => audit.RecordAsync(http, tenantId, "archive.retrieve", $"item/{itemId}", result,
            JsonSerializer.SerializeToElement(new ItemAuditDetails(item.ItemId, item.Kind, item.SubjectRef, jobId), ApiJsonContext.Default.ItemAuditDetails));
        switch (outcome)
        {
            case RetrievalAccepted accepted:
                await AuditAsync(accepted.Item, Domain.Audit.AuditActions.Success, accepted.Job.Id);
                return TypedResults.Accepted($"/v1/tenants/{tenantId}/requests/{accepted.Job.Id}", RequestEndpoints.View(accepted.Job, http, subjectId: null));
            case RetrievalItemUnknown:
                return ProblemTypes.NotFound(http, "item");
            case RetrievalItemNotArchived notArchived:
                await AuditAsync(notArchived.Item, Domain.Audit.AuditActions.Denied, null);
                return ProblemTypes.Create(http, StatusCodes.Status409Conflict, "item-not-archived", "Item not archived",
                    $"The item is {ItemStates.Name(notArchived.Item.State)}: only archived items are retrieved. Nothing was started.");
            case RetrievalInProgress open:
                await AuditAsync(open.Item, Domain.Audit.AuditActions.Denied, open.JobId);
                return ProblemTypes.Conflict(http, "retrieval-in-progress", "Retrieval in progress",
                    "A retrieval of this item is open (jobId): restoring, or readable until its window ends. Nothing was started.", open.JobId);
            default:
                throw new InvalidOperationException("Unknown retrieval outcome.");
        }
    }

    private static async Task<IResult> DownloadAsync(
        string tenantId, string itemId, HttpContext http, IErasureInventory inventory, S3FileLinks links, AuditRecorder audit, TimeProvider clock)
    {
        var item = itemId.Length is 0 or > 128 ? null : await inventory.FindAsync(tenantId, itemId, http.RequestAborted);
        if (item is not { Kind: "file" })
        {
            return ProblemTypes.NotFound(http, "file");
        }

        var details = JsonSerializer.SerializeToElement(new ItemAuditDetails(item.ItemId, item.Kind, item.SubjectRef, item.RetrievedBy), ApiJsonContext.Default.ItemAuditDetails);
        var now = clock.GetUtcNow();
        if (item.State != ItemState.Archived || item.RetrievedUntil is not { } until || now >= until)
        {
            await audit.RecordAsync(http, tenantId, "item.download", $"item/{item.ItemId}", Domain.Audit.AuditActions.Denied, details);
            return ProblemTypes.Create(http, StatusCodes.Status409Conflict, "item-not-retrieved", "File not retrieved",
                item.State == ItemState.Archived
                    ? "The file is archived: retrieve it first (POST …/items/{id}/retrieve); it can be downloaded for 7 days once restored."
                    : $"The file is {ItemStates.Name(item.State)}: only a retrieved archived file is downloaded here.");
        }

        await audit.RecordAsync(http, tenantId, "item.download", $"item/{item.ItemId}", Domain.Audit.AuditActions.Success, details);
        var expires = now + Domain.Policies.LifecyclePolicy.PresignedUrlLifetime;
        return TypedResults.Redirect(await links.PresignAsync(item, item.FileName ?? item.ItemId, until < expires ? until : expires, http.RequestAborted));
    }
}
