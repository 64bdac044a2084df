using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;

namespace Lethe.Domain.Jobs.Workflow;

/// <summary>
/// The audit events of workflow steps: a deterministic id (<c>{jobId}:{step}</c>, so the journal writes a replay once) and
/// details that name the request and the subject ref, never the subject id.
/// </summary>
public static class WorkflowAudit
{
    public static AuditEvent Event(Job job, AuditActor actor, string step, string action, string outcome, JsonObject details, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(details);
        details["requestId"] = job.Id;
        details["subjectRef"] = job.SubjectRef;
        using var document = JsonDocument.Parse(details.ToJsonString());
        return new AuditEvent($"{job.Id}:{step}", job.TenantId, at, actor, action, $"request/{job.Id}", outcome, document.RootElement.Clone());
    }

    /// <summary>
    /// The hashed manifest a bulk event names instead of its items (DESIGN.md: one event per page, never one per item): the
    /// lowercase hex SHA-256 of the ids sorted ordinally, one per line.
    /// </summary>
    public static string ManifestSha256(IEnumerable<string> itemIds)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        var sorted = itemIds.Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', sorted))));
    }
}
