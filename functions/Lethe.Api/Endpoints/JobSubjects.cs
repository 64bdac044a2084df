using Lethe.Api.Auth;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Domain.Jobs;
using Lethe.Domain.Requests;

namespace Lethe.Api.Endpoints;

/// <summary>
/// Jobs as the API shows them: a job stores only the subject's ref, and its <c>subjectId</c> is read through the subject
/// directory while the subject exists (API.md, Requests), so once erased no job names the person.
/// </summary>
public sealed class JobSubjects(SubjectDirectoryReader directory, SubjectRefs subjectRefs)
{
    /// <summary>One job: its subject's id read through the directory (one read, one KEK from the cache or KMS).</summary>
    public async Task<JobView> ViewAsync(Job job, HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(http);
        var tenant = http.Tenant();
        // A tenant being offboarded resolves no subject (its keys are on their way out): its jobs show refs only.
        var subjectId = tenant is null || tenant.State != Domain.Tenancy.TenantState.Active || job.SubjectRef == RequestService.AuditExportSubject
            ? null
            : await directory.FindIdAsync(tenant.Id, await subjectRefs.TenantKeyArnAsync(tenant, http.RequestAborted), job.SubjectRef, http.RequestAborted);
        return RequestEndpoints.View(job, http, subjectId);
    }

    /// <summary>
    /// A page of jobs: a list never unseals ids (a page of 200 subjects would cost 200 key loads, and KMS quota is shared by
    /// every tenant). When the list was asked for one subject, the caller named it, so its jobs show that id.
    /// </summary>
    public static List<JobView> ViewAll(IReadOnlyList<Job> jobs, HttpContext http, string? listedSubjectId) =>
        jobs.Select(j => RequestEndpoints.View(j, http, listedSubjectId)).ToList();
}
