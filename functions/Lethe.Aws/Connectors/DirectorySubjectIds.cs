using Lethe.Aws.Records;
using Lethe.Domain.Connectors;
using Lethe.Domain.Tenancy;

namespace Lethe.Aws.Connectors;

/// <summary>A subject's id through the subject directory, under the tenant's current sealing key.</summary>
public sealed class DirectorySubjectIds(ITenantRepository tenants, SubjectDirectoryReader directory) : ISubjectIds
{
    public async Task<string?> FindIdAsync(string tenantId, string subjectRef, CancellationToken cancellationToken)
    {
        var tenant = await tenants.FindAsync(tenantId, cancellationToken);
        return tenant?.SealingKeyArn is { } keyArn ? await directory.FindIdAsync(tenantId, keyArn, subjectRef, cancellationToken) : null;
    }
}
