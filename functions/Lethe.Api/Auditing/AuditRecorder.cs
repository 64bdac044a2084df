using System.Text.Json;
using Lethe.Api.Auth;
using Lethe.Domain.Audit;

namespace Lethe.Api.Auditing;

/// <summary>Writes the audit event of a request (who, role, what, outcome) to the journal before the response is sent.</summary>
public sealed class AuditRecorder(IAuditJournal journal, TimeProvider clock)
{
    public Task RecordAsync(HttpContext http, string tenantId, string action, string target, string outcome, JsonElement details)
    {
        ArgumentNullException.ThrowIfNull(http);
        var principal = http.Principal();
        var evt = new AuditEvent(
            Guid.NewGuid().ToString("N"), tenantId, clock.GetUtcNow(), new AuditActor(principal.AuditName, principal.PrimaryRole), action, target, outcome, details);
        return journal.AppendAsync(evt, http.RequestAborted);
    }
}
