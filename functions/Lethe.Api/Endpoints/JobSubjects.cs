using Lethe.Api.Auth;
using Lethe.Aws.Keys;
using Lethe.Aws.Records;
using Lethe.Domain.Jobs;

namespace Lethe.Api.Endpoints;

/// <summary>
/// Jobs as the API shows them: a job stores only the subject's ref, and its <c>subjectId</c> is read through the subject
/// directory while the subject exists (API.md, Requests), so once erased no job names the person.
/// </summary>
public sealed class JobSubjects(SubjectDirectoryReader directory, SubjectRefs subjectRefs)
{
    public async Task<JobView> ViewAsync(Job job, HttpContext http) => (await ViewAllAsync([job], http))[0];

    /// <summary>Views of several jobs; each subject's id is read once however many of its jobs are listed.</summary>
    public async Task<List<JobView>> ViewAllAsync(IReadOnlyList<Job> jobs, HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(http);
        var ids = new Dictionary<string, string?>(StringComparer.Ordinal);
        var tenant = http.Tenant();
        foreach (var subjectRef in jobs.Select(j => j.SubjectRef).Where(r => r != RequestService.AuditExportSubject).Distinct(StringComparer.Ordinal))
        {
            ids[subjectRef] = tenant is null ? null
                : await directory.FindIdAsync(tenant.Id, await subjectRefs.TenantKeyArnAsync(tenant, http.RequestAborted), subjectRef, http.RequestAborted);
        }

        return jobs.Select(j => RequestEndpoints.View(j, http, ids.GetValueOrDefault(j.SubjectRef))).ToList();
    }
}
