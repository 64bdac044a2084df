using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Exports;
using Lethe.Aws.Keys;
using Lethe.Domain.Jobs;
using Lethe.Domain.Security;
using Lethe.Domain.Requests;

namespace Lethe.Api.Endpoints;

/// <summary>Export downloads: a short-lived URL per volume, every download audited.</summary>
public static partial class RequestEndpoints
{
    private static async Task<IResult> DownloadAsync(
        string tenantId, string requestId, string? part, string? redirect, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, S3ExportStore exports,
        Domain.Exports.IExportVolumeRegistry volumes, TimeProvider clock, AuditRecorder audit)
    {
        var number = 1;
        if (part is not null && (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) || number < 1))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["part"] = ["part is a volume number from 1 to download.parts."] });
        }

        if (redirect is not (null or "true" or "false"))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["redirect"] = ["redirect is true (the default: a 302 to the file) or false (the link as JSON)."] });
        }

        if (await VisibleJobAsync(tenantId, requestId, http, jobs, subjectRefs) is not { } job || !(JobTypes.IsExport(job.Type) || job is { Type: JobType.TenantOffboarding, FinalExport: true }))
        {
            return ProblemTypes.NotFound(http, "export request");
        }

        if (job.Type == JobType.TenantOffboarding)
        {
            return await FinalExportAsync(tenantId, job, number, redirect != "false", http, exports, clock, audit);
        }

        // Seeing a request is not downloading it: the download is checked against the export's own subject, whatever other
        // roles (auditor, service) let the token see the request.
        if (!await ReachesAsync(http, job, job.Type == JobType.AuditExport ? Capability.ReadAudit : Capability.DownloadExports, subjectRefs))
        {
            return ProblemTypes.Forbidden(http);
        }

        if (job.Status != JobStatus.Completed)
        {
            return ProblemTypes.Conflict(http, "export-not-ready", "Export not ready",
                $"The export is {JobStatuses.Name(job.Status)} in phase {job.Phase}: it can be downloaded once it has completed.", job.Id);
        }

        // A refused download is audited too, with who asked. Erased outranks expired: it says why the data is gone for good.
        async Task<IResult> GoneAsync(string slug, string title, string detail)
        {
            await audit.RecordAsync(http, tenantId, "export.download", $"request/{job.Id}", Domain.Audit.AuditActions.Denied, DownloadDetails(job, number));
            return ProblemTypes.Create(http, StatusCodes.Status410Gone, slug, title, detail);
        }

        if (!await volumes.IsAvailableAsync(tenantId, job.Id, number, http.RequestAborted))
        {
            return await GoneAsync("export-erased", "Export erased", "The subject of this export has been (or is being) erased, and this export with it.");
        }

        var now = clock.GetUtcNow();
        if (job.DownloadExpiresAt is not { } expires || now >= expires)
        {
            return await GoneAsync("export-expired", "Export link expired", "This export's link has expired (7 days after it completed); submit a new export request.");
        }

        if (number > job.ExportParts)
        {
            return ProblemTypes.NotFound(http, $"part {number} (this export has {job.ExportParts})");
        }

        await audit.RecordAsync(http, tenantId, "export.download", $"request/{job.Id}", "success", DownloadDetails(job, number));
        var until = now + Domain.Policies.LifecyclePolicy.PresignedUrlLifetime;
        var url = await exports.PresignAsync(tenantId, job.Id, number, Domain.Exports.ExportWorkflow.StoredFormat(job), until, http.RequestAborted);
        return Link(http, url, until, number, job.ExportParts, redirect != "false");
    }

    /// <summary>
    /// An offboarding's final export: the whole tenant's data, so a platform admin's alone, downloadable while the job waits in
    /// its download window (after that the purge deletes it).
    /// </summary>
    private static async Task<IResult> FinalExportAsync(string tenantId, Job job, int number, bool redirect, HttpContext http, S3ExportStore exports, TimeProvider clock, AuditRecorder audit)
    {
        if (!http.Principal().IsPlatformAdmin)
        {
            return ProblemTypes.Forbidden(http);
        }

        var now = clock.GetUtcNow();
        if (job.Phase != JobPhases.DownloadWindow || job.DownloadExpiresAt is not { } expires || now >= expires)
        {
            if (job.Phase is JobPhases.Validate or JobPhases.Drain or JobPhases.Package)
            {
                return ProblemTypes.Conflict(http, "export-not-ready", "Export not ready",
                    $"The offboarding is in phase {job.Phase}: its final export can be downloaded once it is packaged.", job.Id);
            }

            await audit.RecordAsync(http, tenantId, "export.download", $"request/{job.Id}", Domain.Audit.AuditActions.Denied, DownloadDetails(job, number));
            return ProblemTypes.Create(http, StatusCodes.Status410Gone, "export-expired", "Export link expired",
                "The final export's download window is over: it was deleted with the rest of the tenant.");
        }

        if (number > job.ExportParts)
        {
            return ProblemTypes.NotFound(http, $"part {number} (this export has {job.ExportParts})");
        }

        await audit.RecordAsync(http, tenantId, "export.download", $"request/{job.Id}", "success", DownloadDetails(job, number));
        var until = now + Domain.Policies.LifecyclePolicy.PresignedUrlLifetime;
        var url = await exports.PresignAsync(tenantId, job.Id, number, Domain.Exports.ExportFormat.Zip, until, http.RequestAborted);
        return Link(http, url, until, number, job.ExportParts, redirect);
    }

    /// <summary>
    /// A redirect to the presigned URL, or with <c>redirect=false</c> the URL as JSON: a page's fetch cannot follow a redirect to
    /// the storage host (another origin) and read it, so the console navigates to the URL itself. Neither answer may be cached:
    /// a cached link would skip the audited call.
    /// </summary>
    private static IResult Link(HttpContext http, string url, DateTimeOffset expiresAt, int part, int parts, bool redirect)
    {
        http.Response.Headers.CacheControl = "no-store";
        return redirect ? TypedResults.Redirect(url) : TypedResults.Ok(new DownloadLink(url, expiresAt, part, parts));
    }

    private static JsonElement DownloadDetails(Job job, int part) => JsonSerializer.SerializeToElement(
        new DownloadAuditDetails(job.Id, job.SubjectRef, part, job.ExportParts), ApiJsonContext.Default.DownloadAuditDetails);
}
