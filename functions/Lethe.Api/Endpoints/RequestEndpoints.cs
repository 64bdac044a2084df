using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Jobs;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Requests;

namespace Lethe.Api.Endpoints;

/// <summary>Data subject requests (API.md, Requests): submit, list, read, cancel, restore, retry, certificates.</summary>
public static partial class RequestEndpoints
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex IsoInstant();

    public const string IdempotencyHeader = "Idempotency-Key";

    public static IEndpointRouteBuilder MapRequestEndpoints(this IEndpointRouteBuilder routes)
    {
        var requests = routes.MapGroup("/v1/tenants/{tenantId}/requests").WithTags("Requests");
        requests.MapPost("/", SubmitAsync).RequireTenantAccess(Capability.SubmitRequests)
            .WithName("SubmitRequest").WithSummary("Submits an erasure (or export) for a data subject; Idempotency-Key makes a retry safe.")
            .Produces<JobView>(StatusCodes.Status202Accepted).Produces<JobView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/bulk", BulkAsync).RequireTenantAccess(Capability.SubmitRequests)
            .WithName("SubmitBulkRequests").WithSummary("Submits one erasure (or export) per subject, up to 1,000, with a required Idempotency-Key: each job is idempotent on the key and its subject; subjects that cannot start (legal hold, erasure in progress, bad id) are listed with their problem type, the rest start.")
            .Produces<BulkSubmitView>(StatusCodes.Status202Accepted).ProducesValidationProblem();
        requests.MapGet("/", ListAsync).RequireTenantAccess(Capability.ReadRequests)
            .WithName("ListRequests").WithSummary("Requests of the tenant, newest first, by status, type, subject, overdue (true|false) and dueBefore (deadline before an ISO 8601 time).").Produces<JobPage>().ProducesValidationProblem();
        requests.MapGet("/{requestId}", GetAsync).RequireTenantAccessToEvidence(Capability.ReadRequests)
            .WithName("GetRequest").WithSummary("One request: status, phase, progress, ETA, errors.").Produces<JobView>().ProducesProblem(StatusCodes.Status404NotFound);
        requests.MapPost("/{requestId}/cancel", CancelAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("CancelRequest").WithSummary("Cancels a request until its purge starts (also one waiting for approval); closes a failed deletion that failed before its purge, or a failed export. Nothing done is undone.").Produces<JobView>().ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{requestId}/restore", RestoreAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("RestoreRequest").WithSummary("Restores every item of this erasure still inside its recovery window.").Produces<RestoreResult>().ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapPost("/{requestId}/retry", RetryAsync).RequireTenantAccess(Capability.ManageRequests)
            .WithName("RetryRequest").WithSummary("Runs the purge of a failed erasure again for the items it could not erase (calling its connectors that did not confirm first), a failed backup scrub again from its start, or the fan-out of an export whose connectors did not all confirm.").Produces<JobView>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapGet("/{requestId}/certificate", CertificateAsync).RequireTenantAccessToEvidence(Capability.ReadRequests)
            .WithName("GetCertificate").WithSummary("The signed certificate the request ends with: a deletion's, a retention run's, or a backup scrub's supplemental one; 409 before it is issued. format=pdf: the same certificate as a readable PDF that carries the canonical payload, the signature and the key id.")
            .Produces<CertificateResponse>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapGet("/{requestId}/certificates", CertificatesAsync).RequireTenantAccessToEvidence(Capability.ReadRequests)
            .WithName("ListCertificates").WithSummary("The request's certificate and, once issued, the supplemental backup-scrub one (a deletion or a retention run); a backup scrub lists its own.").Produces<CertificateList>().ProducesProblem(StatusCodes.Status404NotFound);
        // Who may download depends on what: a subject's export (the subject, admins) or an audit export (auditors, admins).
        requests.MapGet("/{requestId}/download", DownloadAsync).RequireTenantAccess(Capability.ReadRequests)
            .WithName("DownloadExport").WithSummary("Redirects (302) to the export volume ?part=N through a URL valid 5 minutes; with redirect=false, answers 200 with that URL instead (for a browser page, whose fetch cannot follow a redirect to another origin). Every download is audited; neither answer may be cached.")
            .Produces(StatusCodes.Status302Found).Produces<DownloadLink>().ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status410Gone);
        MapExecutions(requests);
        routes.MapPost("/v1/tenants/{tenantId}/items/{itemId}/restore", RestoreItemAsync).RequireTenantAccess(Capability.ManageRequests).WithTags("Items")
            .WithName("RestoreItem").WithSummary("Restores one soft-deleted item inside its recovery window; 409 otherwise.").Produces<ItemRestored>().ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> SubmitAsync(
        string tenantId, SubmitRequestBody? body, HttpContext http, RequestService requests, SubjectRefs subjectRefs, AuditRecorder audit, ILoggerFactory loggers)
    {
        if (body is null)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["body"] = ["A JSON body {\"type\",\"subjectId\",\"reason\",\"format\"} is required."] });
        }

        var submission = new RequestSubmission(body.Type, body.SubjectId, body.Reason, body.Format);
        var errors = new Dictionary<string, string[]>(submission.Validate(), StringComparer.Ordinal);
        // Present means meant: an empty or repeated header is an error, never taken as "no key" (a retry would run twice).
        var header = http.Request.Headers[IdempotencyHeader];
        var key = header.Count == 1 ? header[0] ?? string.Empty : string.Empty;
        if (header.Count > 1)
        {
            errors[IdempotencyHeader] = ["Send one Idempotency-Key header, not several."];
        }
        else if (header.Count == 1 && !IdempotencyKeys.IsValid(key))
        {
            errors[IdempotencyHeader] = [$"An idempotency key is 1–{IdempotencyKeys.MaxLength} printable ASCII characters."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var principal = http.Principal();
        if (!RolePolicy.MayActFor(principal, Capability.SubmitRequests, body.SubjectId!))
        {
            return ProblemTypes.Forbidden(http);
        }

        var tenant = http.Tenant()!;
        var subjectRef = await subjectRefs.ForAsync(tenant, body.SubjectId!, http.RequestAborted);
        // Scoped to the tenant and the caller; stored only as keyed hashes (API.md, Requests).
        var claim = key.Length > 0 ? await subjectRefs.IdempotencyClaimAsync(tenant, principal.Sub, key, submission, http.RequestAborted) : null;
        var callerKey = await subjectRefs.CallerKeyAsync(tenant, principal.Sub, http.RequestAborted);
        var outcome = await requests.SubmitAsync(tenant, subjectRef, submission, claim, principal.AuditName, principal.PrimaryRole, callerKey, http.RequestAborted);
        switch (outcome)
        {
            case Accepted { Replayed: true } replayed:
                return TypedResults.Ok(View(replayed.Job, http, body.SubjectId));
            case Accepted accepted:
                if (accepted.Job.ExecutionArn is null)
                {
                    loggers.CreateLogger("Lethe.Api.Requests").LogWarning("Job {JobId} is stored but its execution did not start; reconciliation will start it.", accepted.Job.Id);
                }

                await audit.RecordAsync(http, tenantId, "request.submit", $"request/{accepted.Job.Id}", "success", Details(accepted.Job));
                return TypedResults.Accepted($"/v1/tenants/{tenantId}/requests/{accepted.Job.Id}", View(accepted.Job, http, body.SubjectId));
            case KeyReusedWithAnotherBody reused:
                return ProblemTypes.Conflict(http, "idempotency-key-reused", "Idempotency key reused",
                    "This Idempotency-Key was used in the last 24 hours with a different body. Nothing was stored.", reused.JobId);
            case SubjectHeld:
                await audit.RecordAsync(http, tenantId, "request.submit", $"subject/{subjectRef}", AuditActionsDenied, Json("{\"reason\":\"legal-hold\"}"));
                return ProblemTypes.Conflict(http, "legal-hold", "Subject under legal hold",
                    "A legal hold stands for this subject: nothing of it may be deleted. Nothing was stored.");
            case ErasureOpen open:
                return ProblemTypes.Conflict(http, "erasure-in-progress", "Erasure in progress",
                    "An erasure of this subject is open (jobId): no other deletion or export is accepted for it until that erasure ends. Nothing was stored.", open.JobId);
            default:
                throw new InvalidOperationException("Unknown submission outcome.");
        }
    }

    private const string AuditActionsDenied = Domain.Audit.AuditActions.Denied;

    private static async Task<IResult> ListAsync(
        string tenantId, string? status, string? type, string? subjectId, string? overdue, string? dueBefore, int? limit, string? cursor,
        HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var wanted = JobStatuses.Parse(status);
        if (status is not null && wanted is null)
        {
            errors["status"] = ["awaiting-approval, queued, running, completed, failed, cancelled or denied."];
        }

        bool? late = overdue switch { null => null, "true" => true, "false" => false, _ => null };
        if (overdue is not null && late is null)
        {
            errors["overdue"] = ["overdue is true or false."];
        }

        DateTimeOffset? due = null;
        if (dueBefore is not null)
        {
            // ISO 8601 only (a date, or a date and time): "12/31/2026" means different days in different places.
            if (IsoInstant().IsMatch(dueBefore)
                && DateTimeOffset.TryParse(dueBefore, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsedDue))
            {
                due = parsedDue;
            }
            else
            {
                errors["dueBefore"] = ["dueBefore is an ISO 8601 time such as 2026-12-31T00:00:00Z."];
            }
        }

        if (type is not null && JobTypes.Parse(type) is null)
        {
            errors["type"] = ["deletion, export, audit-export, retention-sweep, archive-retrieval, backup-scrub, erasure-replay, key-rotation, tenant-offboarding or ingest."];
        }

        if (subjectId is not null && !SubjectId.IsValid(subjectId))
        {
            errors["subjectId"] = [SubjectId.Rule];
        }

        if (limit is < 1 or > 200)
        {
            errors["limit"] = ["limit is 1–200."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var principal = http.Principal();
        if (RolePolicy.OnlyAsSubject(principal, Capability.ReadRequests))
        {
            if (subjectId is not null && subjectId != principal.Sub)
            {
                return ProblemTypes.Forbidden(http);
            }

            subjectId = principal.Sub;
        }

        var subjectRef = subjectId is null ? null : await subjectRefs.ForAsync(http.Tenant()!, subjectId, http.RequestAborted);
        var query = new JobQuery(wanted, JobTypes.Parse(type), subjectRef, cursor, limit ?? 50) { Overdue = late, DueBefore = due, Now = clock.GetUtcNow() };
        var (items, next) = await jobs.ListAsync(tenantId, query, http.RequestAborted);
        return TypedResults.Ok(new JobPage(JobSubjects.ViewAll(items, http, subjectId), next));
    }

    private static async Task<IResult> GetAsync(string tenantId, string requestId, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, JobSubjects subjects) =>
        await VisibleJobAsync(tenantId, requestId, http, jobs, subjectRefs) is { } job ? TypedResults.Ok(await subjects.ViewAsync(job, http)) : ProblemTypes.NotFound(http, "request");

    private static async Task<IResult> CancelAsync(string tenantId, string requestId, HttpContext http, RequestService requests, IJobStore jobs, JobSubjects subjects, AuditRecorder audit)
    {
        if (requestId.Length is 0 or > MaxRequestIdLength)
        {
            return ProblemTypes.NotFound(http, "request");
        }

        if (!http.Principal().IsPlatformAdmin && await jobs.FindAsync(tenantId, requestId, http.RequestAborted) is { Type: JobType.TenantOffboarding })
        {
            // An offboarding is a platform admin's, to start and to cancel.
            return ProblemTypes.Forbidden(http);
        }

        var (change, job) = await requests.CancelAsync(tenantId, requestId, http.RequestAborted);
        switch (change)
        {
            case JobChange.NotFound:
                return ProblemTypes.NotFound(http, "request");
            case JobChange.Conflict:
                return ProblemTypes.Conflict(http, "not-cancellable", "Request can no longer be cancelled",
                    job!.Type switch
                    {
                        JobType.Deletion or JobType.RetentionSweep => $"The request is {JobStatuses.Name(job.Status)} in phase {job.Phase}: cancel is possible only until the purge starts.",
                        JobType.BackupScrub => "A backup scrub is owed for every deletion and cannot be cancelled.",
                        JobType.ErasureReplay => "An erasure replay runs to its end once started: stopping it halfway would leave restored erased data in place.",
                        _ when JobStatuses.IsOpen(job.Status) => $"The request is {JobStatuses.Name(job.Status)} in phase {job.Phase}, past the point where it can be cancelled.",
                        _ => $"The request is {JobStatuses.Name(job.Status)}: only an open request can be cancelled.",
                    }, job.Id);
            default:
                await audit.RecordAsync(http, tenantId, "request.cancel", $"request/{job!.Id}", "success", Details(job));
                return TypedResults.Ok(await subjects.ViewAsync(job, http));
        }
    }

    private static async Task<IResult> RestoreAsync(string tenantId, string requestId, HttpContext http, RequestService requests, IJobStore jobs, AuditRecorder audit)
    {
        var (change, restored) = await requests.RestoreRequestAsync(tenantId, requestId, http.RequestAborted);
        if (change == JobChange.NotFound)
        {
            return ProblemTypes.NotFound(http, "request");
        }

        if (change == JobChange.Conflict)
        {
            return ProblemTypes.Conflict(http, "recovery-window-closed", "Recovery window closed",
                "This erasure's recovery window is over (or its purge has started): its items can no longer be restored.", requestId);
        }

        var job = (await jobs.FindAsync(tenantId, requestId, http.RequestAborted))!;
        await audit.RecordAsync(http, tenantId, "request.restore", $"request/{requestId}", "success",
            JsonSerializer.SerializeToElement(new RestoreAuditDetails(requestId, job.SubjectRef, restored), ApiJsonContext.Default.RestoreAuditDetails));
        return TypedResults.Ok(new RestoreResult(requestId, restored));
    }

    private static async Task<IResult> RetryAsync(string tenantId, string requestId, HttpContext http, RequestService requests, JobSubjects subjects, AuditRecorder audit)
    {
        var (change, job) = await requests.RetryAsync(tenantId, requestId, http.RequestAborted);
        switch (change)
        {
            case JobChange.NotFound:
                return ProblemTypes.NotFound(http, "request");
            case JobChange.Conflict:
                return ProblemTypes.Conflict(http, job?.Status == JobStatus.Failed ? "erasure-in-progress" : "not-retryable", "Request cannot be retried",
                    job?.Status == JobStatus.Failed
                        ? "Another erasure of this subject is open; retry this one after it ends."
                        : $"Only a failed request can be retried; this one is {(job is null ? "gone" : JobStatuses.Name(job.Status))}.", job?.Id);
            default:
                await audit.RecordAsync(http, tenantId, "request.retry", $"request/{job!.Id}", "success", Details(job));
                return TypedResults.Accepted($"/v1/tenants/{tenantId}/requests/{job.Id}", await subjects.ViewAsync(job, http));
        }
    }

    private static async Task<IResult> RestoreItemAsync(string tenantId, string itemId, HttpContext http, RequestService requests, AuditRecorder audit)
    {
        if (itemId.Length is 0 or > 128)
        {
            return ProblemTypes.NotFound(http, "item");
        }

        var (change, item) = await requests.RestoreItemAsync(tenantId, itemId, http.RequestAborted);
        switch (change)
        {
            case JobChange.NotFound:
                return ProblemTypes.NotFound(http, "item");
            case JobChange.Conflict:
                return ProblemTypes.Conflict(http, "not-restorable", "Item cannot be restored",
                    $"The item is {Domain.Records.ItemStates.Name(item!.State)}: only a soft-deleted item inside its recovery window can be restored.");
            default:
                await audit.RecordAsync(http, tenantId, "item.restore", $"item/{itemId}", "success",
                    JsonSerializer.SerializeToElement(new ItemRestoreAuditDetails(itemId, item!.ErasureJobId), ApiJsonContext.Default.ItemRestoreAuditDetails));
                return TypedResults.Ok(new ItemRestored(itemId, "active"));
        }
    }

    /// <summary>A job the caller may see: a subject token sees its own requests only; anything else is 404, as if it did not exist.</summary>
    /// <summary>Longer than any id Lethe issues: answered 404 without a read (DynamoDB refuses keys over 1,024 bytes with a 500).</summary>
    private const int MaxRequestIdLength = 64;

    private static async Task<Job?> VisibleJobAsync(string tenantId, string requestId, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs)
    {
        if (requestId.Length is 0 or > MaxRequestIdLength)
        {
            return null;
        }

        var job = await jobs.FindAsync(tenantId, requestId, http.RequestAborted);
        if (job is null)
        {
            return null;
        }

        return await ReachesAsync(http, job, Capability.ReadRequests, subjectRefs) ? job : null;
    }

    /// <summary>Whether the token may use <paramref name="capability"/> on this job's subject (its own subject only, with the subject role alone).</summary>
    private static async Task<bool> ReachesAsync(HttpContext http, Job job, Capability capability, SubjectRefs subjectRefs)
    {
        var principal = http.Principal();
        return RolePolicy.ScopeOf(principal, capability) switch
        {
            SubjectScope.AnySubject => true,
            SubjectScope.OwnSubject => SubjectId.IsValid(principal.Sub)
                && await subjectRefs.ForAsync(http.Tenant()!, principal.Sub, http.RequestAborted) == job.SubjectRef,
            _ => false,
        };
    }

    /// <param name="subjectId">The subject's id as the directory knows it (null once erased); jobs never store it.</param>
    public static JobView View(Job job, HttpContext http, string? subjectId)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(http);
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var p = job.Progress;
        var c = job.Counts;
        return new JobView(
            job.Id, job.TenantId, JobTypes.Name(job.Type), subjectId, job.SubjectRef, JobStatuses.Name(job.Status), job.Phase,
            new ProgressView(p.Total, p.Processed, p.Failed, job.Status == JobStatus.Completed ? 100 : p.Percent), job.Eta(now),
            job.Errors.Select(e => new JobErrorView(e.ItemId, e.Message, e.At)).ToList(),
            new CountsView(c.Total, c.SoftDeleted, c.Purged, c.Failed, c.Restored, c.Held, c.Archived, c.Masked),
            job.CreatedAt, job.UpdatedAt, job.CompletedAt, job.PurgeAt, job.Deadline, job.CertificateId, job.ExecutionName, job.Reason, job.Format,
            // An offboarding's final export: while it waits in its download window, then gone with the tenant.
            (JobTypes.IsExport(job.Type) && job.Status == JobStatus.Completed) || (job.Type == JobType.TenantOffboarding && job.Phase == JobPhases.DownloadWindow && job.ExportParts > 0)
                ? new DownloadView($"/v1/tenants/{job.TenantId}/requests/{job.Id}/download", job.DownloadExpiresAt, job.ExportParts, job.ExportBytes)
                : null)
        {
            SourceJobId = job.SourceJobId,
            Overdue = job.IsOverdue(now),
            MaskedCategories = job.MaskedCategories,
            // Who decided is the tenant's staff's business: a subject sees the decision, not the approver's identity.
            Decision = DecisionOf(job) is { } decision && RolePolicy.OnlyAsSubject(http.Principal(), Capability.ReadRequests) ? decision with { By = "tenant-admin" } : DecisionOf(job),
        };
    }

    private static JsonElement Details(Job job) => JsonSerializer.SerializeToElement(
        new RequestAuditDetails(job.Id, JobTypes.Name(job.Type), job.SubjectRef, JobStatuses.Name(job.Status)), ApiJsonContext.Default.RequestAuditDetails);

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
