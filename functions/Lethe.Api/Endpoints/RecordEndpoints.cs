using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Classification;
using Lethe.Domain.Errors;
using Lethe.Domain.Records;
using Lethe.Domain.Requests;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;

namespace Lethe.Api.Endpoints;

public sealed record CreateRecordRequest(string? Category, string? Visibility, bool? Sensitive, Dictionary<string, string?>? Fields);

public sealed record RecordCreated(string Id, string Category, string Classification, bool SpecialCategory, bool Encrypted, IReadOnlyList<string> Pii, DateTimeOffset CreatedAt, DateTimeOffset RetainUntil);

public sealed record RecordResponse(
    string Id, string Category, string Visibility, string Classification, bool SpecialCategory, bool Encrypted, IReadOnlyList<string> Pii,
    IReadOnlyDictionary<string, string> Fields, DateTimeOffset CreatedAt, DateTimeOffset RetainUntil);

public sealed record RecordPage(IReadOnlyList<RecordResponse> Items, string? NextCursor);

public sealed record RecordAuditDetails(string SubjectRef, string RecordId, string Category, string Classification, bool Encrypted, int Fields);

/// <summary>DELETE …/records/{id}: the record's item, soft-deleted until <c>purgeAt</c>.</summary>
public sealed record RecordDeleted(string ItemId, string State, DateTimeOffset? PurgeAt);

public sealed record RecordDeleteAuditDetails(string SubjectRef, string RecordId, DateTimeOffset? PurgeAt);

/// <summary>PATCH …/records/{id}: the fields to set, a null value removing the field.</summary>
public sealed record RectifyRecordRequest(Dictionary<string, string?>? Fields);

/// <summary>A rectification as the audit keeps it: field names, never a value.</summary>
public sealed record RectifyAuditDetails(string SubjectRef, string RecordId, string Category, IReadOnlyList<string> FieldsSet, IReadOnlyList<string> FieldsRemoved, int Revision);

public sealed record RecordListAuditDetails(string SubjectRef, int Records, int Encrypted);

/// <summary>Records of a data subject (API.md, Records): field-encrypted where the category or the caller says so.</summary>
public static class RecordEndpoints
{
    public const int DefaultPageSize = 50;

    public static IEndpointRouteBuilder MapRecordEndpoints(this IEndpointRouteBuilder routes)
    {
        var records = routes.MapGroup("/v1/tenants/{tenantId}/subjects/{subjectId}/records").WithTags("Records");
        records.MapPost("/", CreateAsync).RequireTenantAccess(Capability.WriteRecords)
            .WithName("CreateRecord").WithSummary("Stores a record: classified, PII detected, sensitive categories encrypted field by field.")
            .Produces<RecordCreated>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status423Locked);
        records.MapGet("/", ListAsync).RequireTenantAccess(Capability.ReadRecords)
            .WithName("ListRecords").WithSummary("The subject's active records, newest first, with fields decrypted.")
            .Produces<RecordPage>().ProducesProblem(StatusCodes.Status403Forbidden);
        records.MapGet("/{recordId}", GetAsync).RequireTenantAccess(Capability.ReadRecords)
            .WithName("GetRecord").WithSummary("One active record; 404 for soft-deleted, purged, archived or foreign ones.")
            .Produces<RecordResponse>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone);
        records.MapPatch("/{recordId}", RectifyAsync).RequireTenantAccess(Capability.WriteRecords)
            .WithName("RectifyRecord").WithSummary("Rectification (Art. 16): sets fields to new values (null removes one), classifies the record again and seals every value afresh; the old values are not kept and the audit names the fields only. 409 while the subject's erasure is open, when the record changed meanwhile, or when it is archived (a retrieved copy goes back unchanged).")
            .Produces<RecordResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status410Gone).ProducesProblem(StatusCodes.Status423Locked);
        records.MapDelete("/{recordId}", DeleteAsync).RequireTenantAccess(Capability.WriteRecords)
            .WithName("DeleteRecord").WithSummary("Deletes one record: soft-deleted (hidden at once) and restorable with POST …/items/{id}/restore until its recovery window ends, then purged by the soft-delete sweep. 409 when it is deleted already or its subject is under a legal hold.")
            .Produces<RecordDeleted>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> DeleteAsync(
        string tenantId, string subjectId, string recordId, HttpContext http, RequestService requests, SubjectRefs subjectRefs, AuditRecorder audit)
    {
        var tenant = http.Tenant()!;
        var subjectRef = SubjectId.IsValid(subjectId) ? await subjectRefs.ForAsync(tenant, subjectId, http.RequestAborted) : null;
        if (subjectRef is null || recordId.Length is 0 or > 64)
        {
            return ProblemTypes.NotFound(http, "record");
        }

        // The item is checked against its own subject, whatever the token may do elsewhere.
        ItemDeleteOutcome outcome;
        Lethe.Domain.Records.InventoryItem? item;
        try
        {
            (outcome, item) = await requests.DeleteItemAsync(tenant, subjectRef, recordId, http.RequestAborted);
        }
        catch (ErasureInProgressException open)
        {
            return ErasureInProgress(http, open.JobId);
        }

        switch (outcome)
        {
            case ItemDeleteOutcome.NotFound:
                return ProblemTypes.NotFound(http, "record");
            case ItemDeleteOutcome.NotActive:
                return ProblemTypes.Conflict(http, "item-not-active", "Record not active",
                    $"The record is {ItemStates.Name(item!.State)}: only an active record can be deleted (a soft-deleted one is restored with POST …/items/{{id}}/restore).");
            case ItemDeleteOutcome.Held:
                return ProblemTypes.Conflict(http, "legal-hold", "Subject under legal hold", "A legal hold stands for this subject: nothing of it may be deleted. Nothing was changed.");
            default:
                await audit.RecordAsync(http, tenantId, "record.delete", $"record/{recordId}", "success", JsonSerializer.SerializeToElement(
                    new RecordDeleteAuditDetails(subjectRef, recordId, item!.PurgeAt), ApiJsonContext.Default.RecordDeleteAuditDetails));
                return TypedResults.Ok(new RecordDeleted(recordId, ItemStates.Name(item.State), item.PurgeAt));
        }
    }

    private static async Task<IResult> RectifyAsync(
        string tenantId, string subjectId, string recordId, RectifyRecordRequest? body, HttpContext http, IRecordStore store, RecordService records, SubjectRefs subjectRefs,
        AuditRecorder audit, TimeProvider clock)
    {
        var errors = RecordRules.ValidateRectification(body?.Fields);
        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var tenant = http.Tenant()!;
        var keyArn = await subjectRefs.TenantKeyArnAsync(tenant, http.RequestAborted);
        var subjectRef = SubjectId.IsValid(subjectId) ? await subjectRefs.ForAsync(tenantId, keyArn, subjectId, http.RequestAborted) : null;
        var stored = recordId.Length is > 0 and <= 64 ? await store.FindAsync(tenantId, recordId, http.RequestAborted) : null;
        // The record is checked against its own subject, whatever the token may do elsewhere.
        if (stored is null || stored.SubjectRef != subjectRef || !stored.IsReadableAt(clock.GetUtcNow()))
        {
            return ProblemTypes.NotFound(http, "record");
        }

        if (stored.ReadableUntil is { } until)
        {
            // A retrieval's copy goes back into its archived object unchanged at the window's end: a change here would be lost.
            return ProblemTypes.Conflict(http, "record-archived", "Record archived",
                $"This record is archived; what is readable is a retrieved copy until {Domain.Audit.AuditChain.FormatTime(until)}, which goes back unchanged. An archived record cannot be rectified. Nothing was changed.");
        }

        StoredRecord rectified;
        IReadOnlyList<string> set, removed;
        try
        {
            (rectified, set, removed) = await records.RectifyAsync(stored, keyArn, body!.Fields!, http.RequestAborted);
        }
        catch (ErasureInProgressException open)
        {
            return ErasureInProgress(http, open.JobId);
        }
        catch (RecordChangedException)
        {
            return ProblemTypes.Conflict(http, "record-changed", "Record changed",
                "The record changed (another rectification, an erasure or the retention sweep) while this one was written. Nothing was changed; read it again and retry.");
        }
        catch (RecordRulesException broken)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["fields"] = [broken.Message] });
        }
        catch (Lethe.Domain.Erasure.LegalHoldException)
        {
            // A value under a legal hold is evidence: it is neither overwritten nor removed.
            return ProblemTypes.Conflict(http, "legal-hold", "Subject under legal hold", "A legal hold stands for this subject: its records are kept as they are. Nothing was changed.");
        }

        // Field names only: never a value, old or new.
        await audit.RecordAsync(http, tenantId, "record.rectify", $"record/{rectified.Id}", "success", JsonSerializer.SerializeToElement(
            new RectifyAuditDetails(rectified.SubjectRef, rectified.Id, rectified.Category, set, removed, rectified.Revision), ApiJsonContext.Default.RectifyAuditDetails));
        return TypedResults.Ok(View(await records.OpenAsync(rectified, keyArn, http.RequestAborted)));
    }

    private static async Task<IResult> CreateAsync(
        string tenantId, string subjectId, CreateRecordRequest? body, HttpContext http, RecordService records, SubjectRefs subjectRefs, AuditRecorder audit)
    {
        if (!SubjectId.IsValid(subjectId))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["subjectId"] = [SubjectId.Rule] });
        }

        var draft = body is null ? null : new RecordDraft(body.Category, body.Visibility, body.Sensitive ?? false, body.Fields);
        var errors = RecordRules.Validate(draft);
        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var tenant = http.Tenant()!;
        var keyArn = await subjectRefs.TenantKeyArnAsync(tenant, http.RequestAborted);
        var subjectRef = await subjectRefs.ForAsync(tenantId, keyArn, subjectId, http.RequestAborted);
        StoredRecord record;
        try
        {
            record = await records.CreateAsync(tenant, keyArn, subjectRef, subjectId, draft!, http.Principal().AuditName, http.RequestAborted);
        }
        catch (ErasureInProgressException open)
        {
            return ErasureInProgress(http, open.JobId);
        }

        await audit.RecordAsync(http, tenantId, "record.create", $"record/{record.Id}", "success", Details(record));
        return TypedResults.Created(
            $"/v1/tenants/{tenantId}/subjects/{subjectId}/records/{record.Id}",
            new RecordCreated(record.Id, record.Category, Level(record), record.SpecialCategory, record.Encrypted, record.Pii.Select(PiiKinds.Name).ToList(), record.CreatedAt, record.RetainUntil));
    }

    private static async Task<IResult> ListAsync(
        string tenantId, string subjectId, string? cursor, int? limit, HttpContext http, IRecordStore store, RecordService records, SubjectRefs subjectRefs, AuditRecorder audit)
    {
        if (Refuse(http, subjectId) is { } refused)
        {
            return refused;
        }

        if (limit is < 1 or > 200)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["limit"] = ["limit is 1–200."] });
        }

        var tenant = http.Tenant()!;
        var keyArn = await subjectRefs.TenantKeyArnAsync(tenant, http.RequestAborted);
        var subjectRef = await subjectRefs.ForAsync(tenantId, keyArn, subjectId, http.RequestAborted);
        var (page, next) = await store.ListActiveAsync(tenantId, subjectRef, cursor, limit ?? DefaultPageSize, http.RequestAborted);
        var items = new List<RecordResponse>(page.Count);
        foreach (var stored in page.Where(r => VisibleTo(http, r)))
        {
            items.Add(View(await records.OpenAsync(stored, keyArn, http.RequestAborted)));
        }

        await audit.RecordAsync(http, tenantId, "record.list", $"subject/{subjectRef}", "success",
            JsonSerializer.SerializeToElement(new RecordListAuditDetails(subjectRef, items.Count, items.Count(i => i.Encrypted)), ApiJsonContext.Default.RecordListAuditDetails));
        return TypedResults.Ok(new RecordPage(items, next));
    }

    private static async Task<IResult> GetAsync(
        string tenantId, string subjectId, string recordId, HttpContext http, IRecordStore store, RecordService records, SubjectRefs subjectRefs, AuditRecorder audit,
        TimeProvider clock)
    {
        if (Refuse(http, subjectId) is { } refused)
        {
            return refused;
        }

        var tenant = http.Tenant()!;
        var keyArn = await subjectRefs.TenantKeyArnAsync(tenant, http.RequestAborted);
        var subjectRef = SubjectId.IsValid(subjectId) ? await subjectRefs.ForAsync(tenantId, keyArn, subjectId, http.RequestAborted) : null;
        var stored = recordId.Length is > 0 and <= 64 ? await store.FindAsync(tenantId, recordId, http.RequestAborted) : null;
        if (stored is null || stored.SubjectRef != subjectRef || !stored.IsReadableAt(clock.GetUtcNow()) || !VisibleTo(http, stored))
        {
            return ProblemTypes.NotFound(http, "record");
        }

        var view = View(await records.OpenAsync(stored, keyArn, http.RequestAborted));
        if (stored.Encrypted)
        {
            await audit.RecordAsync(http, tenantId, "record.read", $"record/{stored.Id}", "success", Details(stored));
        }

        return TypedResults.Ok(view);
    }

    /// <summary>API.md: while an erasure is open for a subject, writes for that subject answer 409 with the erasure's job id.</summary>
    public static IResult ErasureInProgress(HttpContext http, string? jobId) =>
        ProblemTypes.Conflict(http, "erasure-in-progress", "Erasure in progress",
            "An erasure of this subject is open: nothing is written for it until the erasure ends. Nothing was changed.", jobId);

    /// <summary>
    /// API.md, Records: a token that reads only as the data subject sees records whose visibility includes the subject
    /// (<c>shared</c>, <c>subject</c>); <c>coach_only</c>, <c>staff_only</c> and any other visibility are hidden (404), while
    /// the right of access is served by exports, which hold every record.
    /// </summary>
    public static readonly IReadOnlySet<string> SubjectVisible = new HashSet<string>(["shared", "subject"], StringComparer.Ordinal);

    private static bool VisibleTo(HttpContext http, StoredRecord record) =>
        RolePolicy.ScopeOf(http.Principal(), Capability.ReadRecords) != SubjectScope.OwnSubject || SubjectVisible.Contains(record.Visibility);

    private static IResult? Refuse(HttpContext http, string subjectId) =>
        RolePolicy.MayActFor(http.Principal(), Capability.ReadRecords, subjectId) ? null : ProblemTypes.Forbidden(http);

    private static string Level(StoredRecord record) => record.Classification.ToString().ToLowerInvariant();

    private static JsonElement Details(StoredRecord record) => JsonSerializer.SerializeToElement(
        new RecordAuditDetails(record.SubjectRef, record.Id, record.Category, Level(record), record.Encrypted, record.Encrypted ? record.SealedFields.Count : record.PlainFields.Count),
        ApiJsonContext.Default.RecordAuditDetails);

    private static RecordResponse View(RecordView view)
    {
        var r = view.Record;
        return new RecordResponse(r.Id, r.Category, r.Visibility, Level(r), r.SpecialCategory, r.Encrypted, r.Pii.Select(PiiKinds.Name).ToList(), view.Fields, r.CreatedAt, r.RetainUntil);
    }
}
