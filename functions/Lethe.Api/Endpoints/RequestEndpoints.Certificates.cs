using System.Text.Json;
using Lethe.Api.Auth;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Certificates;
using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;
using Lethe.Domain.Requests;

namespace Lethe.Api.Endpoints;

/// <summary>The signed certificates of a request (deletion and its backup scrub, or a retention sweep's run).</summary>
public static partial class RequestEndpoints
{
    /// <summary>The certificate type a job ends with, or null for jobs that end without one (exports).</summary>
    private static string? CertificateType(Job job) => job.Type switch
    {
        JobType.Deletion => "deletion",
        JobType.RetentionSweep => RetentionCertificate.Type,
        _ => null,
    };

    private static async Task<IResult> CertificateAsync(string tenantId, string requestId, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, ICertificateStore certificates)
    {
        if (await VisibleJobAsync(tenantId, requestId, http, jobs, subjectRefs) is not { } job || CertificateType(job) is not { } type)
        {
            return ProblemTypes.NotFound(http, "deletion request or retention run");
        }

        return await certificates.FindAsync(tenantId, job.Id, type, http.RequestAborted) is { } certificate
            ? TypedResults.Ok(Response(certificate))
            : ProblemTypes.Conflict(http, "certificate-not-issued", "Certificate not issued yet",
                $"The request is {JobStatuses.Name(job.Status)} in phase {job.Phase}; its certificate is issued when it completes.", job.Id);
    }

    private static async Task<IResult> CertificatesAsync(string tenantId, string requestId, HttpContext http, IJobStore jobs, SubjectRefs subjectRefs, ICertificateStore certificates)
    {
        if (await VisibleJobAsync(tenantId, requestId, http, jobs, subjectRefs) is not { } job || CertificateType(job) is not { } type)
        {
            return ProblemTypes.NotFound(http, "deletion request or retention run");
        }

        if (job.Type == JobType.RetentionSweep)
        {
            var run = await certificates.FindAsync(tenantId, job.Id, type, http.RequestAborted);
            return TypedResults.Ok(new CertificateList(run is null ? [] : [Response(run)]));
        }

        var all = await certificates.ListAsync(tenantId, job.Id, http.RequestAborted);
        return TypedResults.Ok(new CertificateList(all.Select(Response).ToList()));
    }

    public static CertificateResponse Response(SignedCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var parsed = JsonDocument.Parse(certificate.Payload);
        return new CertificateResponse(parsed.RootElement.Clone(), Convert.ToBase64String(certificate.Payload), Convert.ToBase64String(certificate.Signature), SignedCertificate.Algorithm, certificate.KeyId);
    }
}
