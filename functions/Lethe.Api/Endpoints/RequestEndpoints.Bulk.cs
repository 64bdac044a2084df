using System.Collections.Concurrent;
using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Configuration;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Jobs;
using Lethe.Domain.Requests;
using Lethe.Domain.Security;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Lethe.Api.Endpoints;

/// <summary>POST …/requests/bulk: one type for up to 1,000 subjects; format for exports only.</summary>
public sealed record BulkSubmitBody(string? Type, IReadOnlyList<string?>? SubjectIds, string? Reason, string? Format);

/// <summary>One subject of a bulk request: its job, or the problem type that kept it from starting.</summary>
public sealed record BulkJobView(string? SubjectId, string? Id, string? Error)
{
    /// <summary>With <c>erasure-in-progress</c>: the open erasure of the subject that refused this one (as the single submission's 409 names it).</summary>
    public string? OpenRequestId { get; init; }
}

public sealed record BulkSubmitView(IReadOnlyList<BulkJobView> Jobs);

/// <summary>What a bulk request did, for the audit (ids and counts: no subject id, no reason).</summary>
public sealed record BulkAuditDetails(string Type, int Subjects, int Started, int Refused, IReadOnlyList<string> JobIds);

/// <summary>
/// Bulk requests (API.md, Requests: bulk, for the "automated workflows for bulk deletion requests"): one job per subject, each
/// submitted exactly as a single request would be (holds, open erasures, idempotency), each idempotent on the bulk key and its
/// subject, so a retried bulk starts nothing twice and a subject that could not start is listed with its problem type.
/// </summary>
public static partial class RequestEndpoints
{
    public const int MaxBulkSubjects = 1000;

    /// <summary>Submissions in flight at once: 1,000 subjects finish well inside the API's timeout, without flooding the tables.</summary>
    private const int BulkParallelism = 16;

    private static async Task<IResult> BulkAsync(
        string tenantId, BulkSubmitBody? body, HttpContext http, RequestService requests, SubjectRefs subjectRefs, AuditRecorder audit)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body is null)
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["body"] = ["A JSON body {\"type\",\"subjectIds\",\"reason\"} is required."] });
        }

        if (body.Type is not ("deletion" or "export"))
        {
            errors["type"] = ["type is deletion or export."];
        }

        if (body.SubjectIds is not { Count: > 0 and <= MaxBulkSubjects })
        {
            errors["subjectIds"] = [$"subjectIds lists 1 to {MaxBulkSubjects} subject ids."];
        }

        // The shared rules of one submission (reason, format), checked once with a placeholder subject.
        foreach (var (field, messages) in new RequestSubmission(body.Type, "placeholder", body.Reason, body.Format).Validate().Where(e => e.Key is "reason" or "format"))
        {
            errors[field] = messages;
        }

        var header = http.Request.Headers[IdempotencyHeader];
        var key = header.Count == 1 ? header[0] ?? string.Empty : string.Empty;
        if (header.Count != 1 || !IdempotencyKeys.IsValid(key))
        {
            // Required: a bulk retried without one would start every export again.
            errors[IdempotencyHeader] = [$"A bulk request needs one Idempotency-Key header of 1–{IdempotencyKeys.MaxLength} printable ASCII characters."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var principal = http.Principal();
        if (RolePolicy.ScopeOf(principal, Capability.SubmitRequests) != SubjectScope.AnySubject)
        {
            // A subject token acts for its own subject only; a bulk names others.
            return ProblemTypes.Forbidden(http);
        }

        var tenant = http.Tenant()!;
        var callerKey = await subjectRefs.CallerKeyAsync(tenant, principal.Sub, http.RequestAborted);
        var subjects = body.SubjectIds!.Distinct(StringComparer.Ordinal).ToList();
        // A bulk counts as one request per subject (the one it came in as, and the rest now, at most the whole bucket): a
        // thousand jobs do not start for the price of one request.
        var limiter = http.RequestServices.GetRequiredService<IOptions<RateLimiterOptions>>().Value.GlobalLimiter;
        var extra = Math.Min(subjects.Count, http.RequestServices.GetRequiredService<IOptions<LetheApiOptions>>().Value.RateLimit.Burst) - 1;
        if (limiter is not null && extra > 0)
        {
            using var lease = limiter.AttemptAcquire(http, extra);
            if (!lease.IsAcquired)
            {
                return ProblemTypes.TooManyRequests(http, lease, $"A bulk of {subjects.Count} subjects counts as {subjects.Count} requests against the tenant's limit.");
            }
        }

        var outcomes = new ConcurrentDictionary<int, BulkJobView>();
        var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Lethe.Api.Requests");
        // Not cut short by a client that went away: every subject gets its answer and the bulk its audit event.
        await Parallel.ForEachAsync(subjects.Select((subject, index) => (subject, index)), new ParallelOptions { MaxDegreeOfParallelism = BulkParallelism },
            async (entry, cancellationToken) =>
            {
                try
                {
                    outcomes[entry.index] = await SubmitOneAsync(entry.subject, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One subject's failure (a throttled table, an unusable key) is that subject's: the others start, and a
                    // retry of the same bulk starts only what did not.
                    log.LogError(ex, "A bulk submission failed for one subject of tenant {TenantId}.", tenantId);
                    outcomes[entry.index] = new BulkJobView(entry.subject, null, ProblemTypes.Uri("internal-error"));
                }
            });

        var jobs = Enumerable.Range(0, subjects.Count).Select(i => outcomes[i]).ToList();
        var started = jobs.Where(j => j.Id is not null).Select(j => j.Id!).ToList();
        await audit.RecordAsync(http, tenantId, "request.bulk-submit", $"bulk/{body.Type}", started.Count == jobs.Count ? Domain.Audit.AuditActions.Success : "partial",
            JsonSerializer.SerializeToElement(new BulkAuditDetails(body.Type!, jobs.Count, started.Count, jobs.Count - started.Count, started.Take(100).ToList()), ApiJsonContext.Default.BulkAuditDetails));
        return TypedResults.Accepted($"/v1/tenants/{tenantId}/requests?type={body.Type}", new BulkSubmitView(jobs));

        async Task<BulkJobView> SubmitOneAsync(string? subjectId, CancellationToken cancellationToken)
        {
            var submission = new RequestSubmission(body.Type, subjectId, body.Reason, body.Format);
            if (submission.Validate().Count > 0)
            {
                return new BulkJobView(subjectId, null, ProblemTypes.Uri("validation"));
            }

            var subjectRef = await subjectRefs.ForAsync(tenant, subjectId!, cancellationToken);
            // Idempotent on the bulk key and the subject: the same bulk sent again names the same jobs.
            var claim = await subjectRefs.IdempotencyClaimAsync(tenant, principal.Sub, $"bulk\n{key}\n{subjectId}", submission, cancellationToken);
            return await requests.SubmitAsync(tenant, subjectRef, submission, claim, principal.AuditName, principal.PrimaryRole, callerKey, cancellationToken) switch
            {
                Accepted accepted => new BulkJobView(subjectId, accepted.Job.Id, null),
                KeyReusedWithAnotherBody => new BulkJobView(subjectId, null, ProblemTypes.Uri("idempotency-key-reused")),
                SubjectHeld => new BulkJobView(subjectId, null, ProblemTypes.Uri("legal-hold")),
                ErasureOpen open => new BulkJobView(subjectId, null, ProblemTypes.Uri("erasure-in-progress")) { OpenRequestId = open.JobId },
                _ => throw new InvalidOperationException("Unknown submission outcome."),
            };
        }
    }
}
