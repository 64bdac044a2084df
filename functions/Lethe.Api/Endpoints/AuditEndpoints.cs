using System.Globalization;
using System.Text;
using System.Text.Json;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Domain.Audit;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

public sealed record AuditActorView(string Sub, string Role);

public sealed record AuditEntryView(long Seq, string At, AuditActorView Actor, string Action, string Target, string Outcome, JsonElement Details, string PrevHash, string Hash);

public sealed record AuditPage(IReadOnlyList<AuditEntryView> Items, string? NextCursor);

public sealed record AuditExportBody(string? From, string? To, string? Format);

public sealed record AuditExportDetails(string RequestId, string? From, string? To, string Format);

public sealed record AnchorAuditDetails(long Seq, string Hash, string KeyId);

public sealed record AnchorView(long Seq, string Hash, string At, string KeyId, string Payload, string Signature);

public sealed record AuditVerification(bool Valid, long From, long? Records, string? Head, int? Anchors, long? BrokenAt, string? Reason);

/// <summary>The tenant's audit chain (API.md): pages in JSON or CSV, and verification of every hash.</summary>
public static partial class AuditEndpoints
{
    public const int DefaultLimit = 1000;

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder routes)
    {
        var audit = routes.MapGroup("/v1/tenants/{tenantId}/audit").WithTags("Audit");
        // The audit trail outlives the tenant (pseudonymous evidence): a platform admin still lists and verifies it after termination.
        audit.MapGet("/", ListAsync).RequireTenantAccessToEvidence(Capability.ReadAudit)
            .WithName("ListAudit").WithSummary("The chained audit events in seq order, as JSON or CSV (next cursor in X-Next-Cursor).")
            .Produces<AuditPage>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        audit.MapGet("/verify", VerifyAsync).RequireTenantAccessToEvidence(Capability.ReadAudit)
            .WithName("VerifyAudit").WithSummary("Recomputes every hash from the given seq (default: the latest anchor) and reports the first break.")
            .Produces<AuditVerification>().ProducesProblem(StatusCodes.Status403Forbidden);
        audit.MapPost("/exports", ExportAsync).RequireTenantAccess(Capability.ReadAudit)
            .WithName("ExportAudit").WithSummary("Exports the audit range [from, to) (both required) as CSV or JSON in a ZIP, as a job delivered like an export (download link, 7 days).")
            .Produces<JobView>(StatusCodes.Status202Accepted).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        audit.MapPost("/anchors", AnchorAsync).RequireTenantAccess(Capability.AnchorAudit)
            .WithName("AnchorAudit").WithSummary("Signs the chain head now (the daily schedule does this in AWS) into the Object-Lock archive; an unchanged head returns its existing anchor (200).")
            .Produces<AnchorView>(StatusCodes.Status201Created).Produces<AnchorView>().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status403Forbidden);
        return routes;
    }

    private static async Task<IResult> ListAsync(
        string tenantId, string? from, string? to, string? format, int? limit, string? cursor, HttpContext http, IAuditChainStore chain)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        DateTimeOffset? fromAt = null, toAt = null;
        if (from is not null && !TryTime(from, out fromAt))
        {
            errors["from"] = ["An ISO 8601 time, e.g. 2026-11-01T00:00:00Z."];
        }

        if (to is not null && !TryTime(to, out toAt))
        {
            errors["to"] = ["An ISO 8601 time, e.g. 2026-11-30T00:00:00Z."];
        }

        if (format is not null and not ("json" or "csv"))
        {
            errors["format"] = ["json or csv."];
        }

        if (limit is < 1 or > 5000)
        {
            errors["limit"] = ["1–5000."];
        }

        var byTime = fromAt is not null || toAt is not null;
        long startSeq = 1;
        if (cursor is not null && (byTime ? !TimeCursor().IsMatch(cursor) : !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out startSeq) || startSeq < 1))
        {
            errors["cursor"] = ["The cursor was not issued for this list (a cursor belongs to the from/to it was issued with)."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var max = limit ?? DefaultLimit;
        var items = new List<AuditEntryView>(Math.Min(max, 256));
        string? next = null;
        if (byTime)
        {
            // A time range is read through the chain's time index: only the events in the range are read, never the chain.
            string? lastPosition = null;
            await foreach (var (chained, position) in chain.ReadByTimeAsync(tenantId, fromAt, toAt, cursor, http.RequestAborted))
            {
                if (items.Count == max)
                {
                    next = lastPosition;
                    break;
                }

                items.Add(View(chained));
                lastPosition = position;
            }
        }
        else
        {
            await foreach (var chained in chain.ReadChainAsync(tenantId, startSeq, http.RequestAborted))
            {
                if (items.Count == max)
                {
                    next = chained.Seq.ToString(CultureInfo.InvariantCulture);
                    break;
                }

                items.Add(View(chained));
            }
        }

        if (format == "csv")
        {
            if (next is not null)
            {
                http.Response.Headers["X-Next-Cursor"] = next;
            }

            return Results.Text(Csv(items), "text/csv", Encoding.UTF8);
        }

        return TypedResults.Ok(new AuditPage(items, next));
    }

    private static async Task<IResult> VerifyAsync(string tenantId, long? from, HttpContext http, AuditVerifier verifier)
    {
        if (from is < 0)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["from"] = ["A seq of 0 or more (0: the whole chain)."] });
        }

        var (result, anchors) = await verifier.VerifyAsync(tenantId, from, http.RequestAborted);
        return TypedResults.Ok(result.Valid
            ? new AuditVerification(true, result.From, result.Records, result.Head, anchors, null, null)
            : new AuditVerification(false, result.From, null, null, anchors, result.BrokenAt, result.Reason));
    }

    private static async Task<IResult> AnchorAsync(string tenantId, HttpContext http, AuditAnchorer anchorer, Auditing.AuditRecorder audit)
    {
        var outcome = await anchorer.AnchorAsync(tenantId, http.RequestAborted);
        if (outcome is null)
        {
            return ProblemTypes.Create(http, StatusCodes.Status409Conflict, "audit-chain-empty", "Nothing to anchor", "The tenant's audit chain has no events yet.");
        }

        var anchor = outcome.Anchor;
        if (outcome.Created)
        {
            // Only a new anchor is an event: asking again for an unchanged head returns the same anchor and writes nothing.
            await audit.RecordAsync(http, tenantId, AuditAnchorer.AnchorAction, $"audit/anchor/{anchor.Anchor.Seq}", "success",
                JsonSerializer.SerializeToElement(new AnchorAuditDetails(anchor.Anchor.Seq, anchor.Anchor.Hash, anchor.Anchor.KeyId), ApiJsonContext.Default.AnchorAuditDetails));
        }

        var view = new AnchorView(anchor.Anchor.Seq, anchor.Anchor.Hash, AuditChain.FormatTime(anchor.Anchor.At), anchor.Anchor.KeyId,
            Convert.ToBase64String(anchor.Payload), Convert.ToBase64String(anchor.Signature));
        return outcome.Created ? TypedResults.Created($"/v1/tenants/{tenantId}/audit/anchors/{anchor.Anchor.Seq}", view) : TypedResults.Ok(view);
    }

    private static async Task<IResult> ExportAsync(
        string tenantId, AuditExportBody? body, HttpContext http, Domain.Requests.RequestService requests, Auditing.AuditRecorder audit)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        DateTimeOffset? fromAt = null, toAt = null;
        if (body?.From is not { } from || !TryTime(from, out fromAt))
        {
            errors["from"] = ["Required: an ISO 8601 UTC time, e.g. 2026-11-01T00:00:00Z (the start of the range, included)."];
        }

        if (body?.To is not { } to || !TryTime(to, out toAt))
        {
            errors["to"] = ["Required: an ISO 8601 UTC time, e.g. 2026-12-01T00:00:00Z (the end of the range, excluded)."];
        }

        if (fromAt is { } start && toAt is { } end && end <= start)
        {
            errors["to"] = ["to must be later than from."];
        }

        if (body?.Format is not (null or "csv" or "json"))
        {
            errors["format"] = ["csv or json."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var principal = http.Principal();
        var format = body?.Format ?? "csv";
        var job = await requests.SubmitAuditExportAsync(http.Tenant()!, fromAt, toAt, format, principal.AuditName, principal.PrimaryRole, http.RequestAborted);
        await audit.RecordAsync(http, tenantId, "audit.export", $"request/{job.Id}", AuditActions.Success,
            JsonSerializer.SerializeToElement(new AuditExportDetails(job.Id, body?.From, body?.To, format), ApiJsonContext.Default.AuditExportDetails));
        return TypedResults.Accepted($"/v1/tenants/{tenantId}/requests/{job.Id}", RequestEndpoints.View(job, http, subjectId: null));
    }

    /// <summary>ISO 8601 only (a date, or a date and time with Z or an offset); nothing else a lenient parser would take (NUL, spaces, names).</summary>
    private static bool TryTime(string text, out DateTimeOffset? at)
    {
        DateTimeOffset parsed = default;
        var ok = text.Length <= 40 && DateTimeOffset.TryParseExact(text, IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out parsed);
        at = ok ? parsed : null;
        return ok;
    }

    private static readonly string[] IsoFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmK",
    ];

    private static AuditEntryView View(ChainedAuditEvent chained)
    {
        var e = chained.Event;
        return new AuditEntryView(chained.Seq, AuditChain.FormatTime(e.At), new AuditActorView(e.Actor.Sub, e.Actor.Role), e.Action, e.Target, e.Outcome, e.Details, chained.PrevHash, chained.Hash);
    }

    private static string Csv(IEnumerable<AuditEntryView> items)
    {
        var csv = new StringBuilder(Domain.Exports.Csv.Line(["seq", "at", "actorSub", "actorRole", "action", "target", "outcome", "details", "prevHash", "hash"]));
        foreach (var i in items)
        {
            csv.Append(Domain.Exports.Csv.Line([
                i.Seq.ToString(CultureInfo.InvariantCulture), i.At, i.Actor.Sub, i.Actor.Role, i.Action, i.Target, i.Outcome, i.Details.GetRawText(), i.PrevHash, i.Hash]));
        }

        return csv.ToString();
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#\d{12}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex TimeCursor();
}
