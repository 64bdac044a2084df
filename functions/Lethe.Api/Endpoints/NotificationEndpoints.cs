using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Domain.Notifications;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

/// <summary>One notice as the outbox lists it: when, which event, about which request, through which channel (never content).</summary>
public sealed record NotificationView(DateTimeOffset At, string Event, string RequestId, string Channel);

public sealed record NotificationPage(IReadOnlyList<NotificationView> Items, string? NextCursor);

/// <summary>The notification outbox (API.md, Requests: GET …/notifications): what was sent about the tenant's requests.</summary>
public static class NotificationEndpoints
{
    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/tenants/{tenantId}").WithTags("Requests")
            .MapGet("/notifications", ListAsync).RequireTenantAccess(Capability.ManageSettings)
            .WithName("ListNotifications")
            .WithSummary("What was sent (tenant-admin), newest request first: {at, event, requestId, channel}. Events request.completed, request.failed, request.overdue, request.awaiting-approval, export.ready, upload.quarantined, review.pending, upload.delivered, retention.run, archive.ready; ids only.")
            .Produces<NotificationPage>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    private static async Task<IResult> ListAsync(string tenantId, int? limit, string? cursor, HttpContext http, INotificationOutbox outbox)
    {
        if (limit is < 1 or > 200)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["limit"] = ["limit is 1–200."] });
        }

        var (items, next) = await outbox.ListAsync(tenantId, cursor, limit ?? 50, http.RequestAborted);
        return TypedResults.Ok(new NotificationPage([.. items.Select(n => new NotificationView(n.At, n.Event, n.RequestId, n.Channel))], next));
    }
}
