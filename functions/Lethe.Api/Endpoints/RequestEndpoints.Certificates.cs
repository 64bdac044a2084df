using System.Text.Json;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Certificates;
using Lethe.Domain.Documents;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Requests;

namespace Lethe.Api.Endpoints;

/// <summary>The signed certificates of a request (deletion and its backup scrub, or a retention sweep's run).</summary>
public static partial class RequestEndpoints
{
    /// <summary>
    /// The certificate a job ends with, by the request it is stored under: a deletion's and a retention run's under their own id, a
    /// backup scrub's (the supplemental one) under the job it supplements; null for jobs that end without one (exports).
    /// </summary>
    private static (string RequestId, string Type)? CertificateOf(Job job) => job.Type switch
    {
        JobType.Deletion => (job.Id, "deletion"),
        JobType.RetentionSweep => (job.Id, RetentionCertificate.Type),
        JobType.TenantOffboarding => (job.Id, TenantOffboardingCertificate.Type),
        JobType.BackupScrub when job.SourceJobId is { } source => (source, BackupScrubCertificate.Type),
        _ => null,
    };

    private static async Task<IResult> CertificateAsync(
        string tenantId, string requestId, string? format, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, ICertificateStore certificates, IDocumentRenderer documents)
    {
        if (format is not (null or "json" or "pdf"))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["format"] = ["format is json (the default) or pdf."] });
        }

        if (await VisibleJobAsync(tenantId, requestId, http, jobs, subjectRefs) is not { } job || CertificateOf(job) is not { } of)
        {
            return ProblemTypes.NotFound(http, "deletion request, retention run, offboarding or backup scrub");
        }

        var (owner, type) = of;

        if (await certificates.FindAsync(tenantId, owner, type, http.RequestAborted) is { } certificate)
        {
            if (format != "pdf")
            {
                return TypedResults.Ok(Response(certificate));
            }

            using var pdf = new MemoryStream();
            documents.Render(CertificateDocument.Build(certificate), pdf);
            return TypedResults.File(pdf.ToArray(), documents.ContentType, $"{certificate.CertificateId}.pdf");
        }

        return ProblemTypes.Conflict(http, "certificate-not-issued", "Certificate not issued yet",
            $"The request is {JobStatuses.Name(job.Status)} in phase {job.Phase}; its certificate is issued when it completes.", job.Id);
    }

    /// <summary>The request's certificates: its own and, once issued, the supplemental backup-scrub one (a scrub lists only its own).</summary>
    private static async Task<IResult> CertificatesAsync(string tenantId, string requestId, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, ICertificateStore certificates)
    {
        if (await VisibleJobAsync(tenantId, requestId, http, jobs, subjectRefs) is not { } job || CertificateOf(job) is not { } of)
        {
            return ProblemTypes.NotFound(http, "deletion request, retention run, offboarding or backup scrub");
        }

        var (owner, type) = of;

        var all = await certificates.ListAsync(tenantId, owner, http.RequestAborted);
        return TypedResults.Ok(new CertificateList(all.Where(c => job.Type != JobType.BackupScrub || c.Type == type).Select(Response).ToList()));
    }

    public static CertificateResponse Response(SignedCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var parsed = JsonDocument.Parse(certificate.Payload);
        return new CertificateResponse(parsed.RootElement.Clone(), Convert.ToBase64String(certificate.Payload), Convert.ToBase64String(certificate.Signature), SignedCertificate.Algorithm, certificate.KeyId);
    }
}
