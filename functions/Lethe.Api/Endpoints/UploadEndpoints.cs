using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Errors;
using Lethe.Domain.Ingest;
using Lethe.Domain.Records;
using Lethe.Domain.Security;

namespace Lethe.Api.Endpoints;

/// <summary>POST …/uploads: what the client will upload (API.md).</summary>
public sealed record UploadBody(string? SubjectId, string? Category, string? FileName, string? ContentType, long? SizeBytes);

/// <summary>The presigned PUT: send the object to <c>url</c> with exactly these headers before <c>expiresAt</c>.</summary>
public sealed record UploadCreatedView(string UploadId, string Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>
/// An upload's progress through the ingest pipeline; <c>itemId</c> once stored, <c>requestId</c> the ingest job
/// (<c>GET …/requests/{id}</c>) once scanned clean, <c>reason</c> when quarantined or failed.
/// </summary>
public sealed record UploadView(
    string UploadId, string Status, string? ItemId, string Category, string ContentType, long SizeBytes, bool Restricted,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset ExpiresAt, string? Reason, string? RequestId);

/// <summary>What the audit keeps of an upload request: ids, category, type and size, never the file name (it may name the person).</summary>
public sealed record UploadAuditDetails(string UploadId, string SubjectRef, string Category, string ContentType, long SizeBytes, bool Restricted);

/// <summary>
/// Uploads (API.md, Records; issue 16): a presigned PUT into the ingest bucket bound to the tenant, subject, category, type and
/// size, and the upload's status. The upload is the subject's data from the start: its row is purged by an erasure, and an
/// erasure in progress refuses a new one (409). A restricted subject's upload is marked to be stored without derivation.
/// </summary>
public static class UploadEndpoints
{
    public static IEndpointRouteBuilder MapUploadEndpoints(this IEndpointRouteBuilder routes)
    {
        var uploads = routes.MapGroup("/v1/tenants/{tenantId}/uploads").WithTags("Uploads");
        uploads.MapPost("/", CreateAsync).RequireTenantAccess(Capability.WriteRecords)
            .WithName("CreateUpload").WithSummary("Presigns the PUT of one object for a subject (text, WebVTT, CSV, JSON or ZIP, up to 100 MB), valid 15 minutes. ZIP archives are scanned (and quarantined when infected) but not processed: a clean one ends failed with that reason. 409 while the subject's erasure is open.")
            .Produces<UploadCreatedView>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        uploads.MapGet("/{uploadId}", GetAsync).RequireTenantAccess(Capability.WriteRecords)
            .WithName("GetUpload").WithSummary("An upload's status: pending, scanning, quarantined, processing, awaiting_review, delivered or failed.")
            .Produces<UploadView>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<IResult> CreateAsync(
        string tenantId, UploadBody? body, HttpContext http, IUploadStore store, IUploadLinks links, IRestrictionStore restrictions,
        SubjectRefs subjectRefs, Domain.Crypto.IKeyHierarchy keys, AuditRecorder audit, TimeProvider clock)
    {
        var errors = UploadRules.Validate(body?.SubjectId, body?.Category, body?.FileName, body?.ContentType, body?.SizeBytes);
        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var keyArn = await subjectRefs.TenantKeyArnAsync(http.Tenant()!, http.RequestAborted);
        var subjectRef = await subjectRefs.ForAsync(tenantId, keyArn, body!.SubjectId!, http.RequestAborted);
        // The subject's id travels with the upload sealed under the subject's key, as the subject directory keeps it: the
        // pipeline stores records by it, and an upload may be the first thing the subject has.
        var kek = await keys.GetOrCreateSubjectKekAsync(tenantId, keyArn, subjectRef, http.RequestAborted);
        var now = clock.GetUtcNow();
        var declared = new UploadRequest(body.SubjectId!, body.Category!, body.FileName!, body.ContentType!, body.SizeBytes!.Value);
        var upload = new Upload(UploadIds.New(), tenantId, subjectRef, declared, UploadStatus.Pending, now, now + UploadRules.LinkLifetime, http.Principal().AuditName)
        {
            Restricted = (await restrictions.GetAsync(tenantId, subjectRef, http.RequestAborted)).Restricted,
            SealedSubjectId = Domain.Crypto.FieldEnvelope.Seal(System.Text.Encoding.UTF8.GetBytes(body.SubjectId!), kek, RecordService.SubjectIdContext(tenantId, subjectRef)),
            UpdatedAt = now,
        };
        try
        {
            await store.CreateAsync(upload, http.RequestAborted);
        }
        catch (ErasureInProgressException open)
        {
            return RecordEndpoints.ErasureInProgress(http, open.JobId);
        }

        var link = await links.PresignPutAsync(upload, http.RequestAborted);
        await audit.RecordAsync(http, tenantId, "upload.create", $"upload/{upload.Id}", "success", JsonSerializer.SerializeToElement(
            new UploadAuditDetails(upload.Id, subjectRef, declared.Category, declared.ContentType, declared.SizeBytes, upload.Restricted), ApiJsonContext.Default.UploadAuditDetails));
        return TypedResults.Created($"/v1/tenants/{tenantId}/uploads/{upload.Id}", new UploadCreatedView(upload.Id, link.Url, "PUT", link.Headers, link.ExpiresAt));
    }

    private static async Task<IResult> GetAsync(string tenantId, string uploadId, HttpContext http, IUploadStore store)
    {
        var upload = uploadId.Length is > 0 and <= 64 ? await store.FindAsync(tenantId, uploadId, http.RequestAborted) : null;
        return upload is null
            ? ProblemTypes.NotFound(http, "upload")
            : TypedResults.Ok(new UploadView(upload.Id, UploadStatuses.Name(upload.Status), upload.ItemId, upload.Declared.Category, upload.Declared.ContentType,
                upload.Declared.SizeBytes, upload.Restricted, upload.CreatedAt, upload.UpdatedAt, upload.ExpiresAt, upload.Reason, upload.JobId));
    }
}
