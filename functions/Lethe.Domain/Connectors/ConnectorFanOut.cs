using Lethe.Domain.Jobs;
using Lethe.Domain.Tenancy;

namespace Lethe.Domain.Connectors;

/// <summary>
/// What the fan-out states of every workflow share (deletion and export; DESIGN.md, "Fan-out and approval"): which connectors a
/// job still has to call, and whether every one it called has confirmed. The step classes of each workflow move the job's phase
/// and audit around these.
/// </summary>
public sealed class ConnectorFanOut(ConnectorPorts? ports, ITenantRepository tenants, string requestType)
{
    public string RequestType { get; } = requestType;

    /// <summary>
    /// The connectors serving this request type that have not confirmed the job (a retry or resume calls only those), in name
    /// order, with the tenant's answer window in seconds; none when the tenant has no connector ports or none left to call.
    /// When the subject can no longer be named (its id was purged already: a retry after the purge, a connector added since),
    /// none is called and those are returned as <see cref="ConnectorPlan.Unnameable"/>.
    /// </summary>
    public async Task<ConnectorPlan> PlanAsync(Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (ports is null)
        {
            return ConnectorPlan.None;
        }

        // Most tenants have no connector for the request's type: one read of the connectors row, and no query of calls.
        var serving = (await ports.Store.ListAsync(job.TenantId, cancellationToken)).Where(c => c.Serves(RequestType)).ToList();
        if (serving.Count == 0)
        {
            return ConnectorPlan.None;
        }

        var confirmed = (await ports.Calls.ListAsync(job.TenantId, job.Id, cancellationToken))
            .Where(c => c.IsConfirmed).Select(c => c.Connector).ToHashSet(StringComparer.Ordinal);
        var pending = serving.Where(c => !confirmed.Contains(c.Name)).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();
        if (pending.Count == 0)
        {
            return ConnectorPlan.None;
        }

        if (await ports.Subjects.FindIdAsync(job.TenantId, job.SubjectRef, cancellationToken) is null)
        {
            return ConnectorPlan.None with { Unnameable = pending };
        }

        var tenant = await tenants.FindAsync(job.TenantId, cancellationToken)
            ?? throw new Jobs.Workflow.JobNotActiveException($"Tenant {job.TenantId} of job {job.Id} no longer exists.");
        return new ConnectorPlan(pending, ConnectorRules.AnswerTimeoutSeconds(tenant.TimeScale));
    }

    /// <summary>
    /// Why each connector called did not confirm (read from the calls, with the Map's outcome for the ones that never answered);
    /// empty when all did. A connector the tenant removed meanwhile is no longer waited for.
    /// </summary>
    public async Task<(IReadOnlyList<string> Problems, int Confirmed)> SettleAsync(
        Job job, IReadOnlyList<string> called, IReadOnlyList<ConnectorOutcome>? outcomes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(called);
        if (called.Count == 0 || ports is null)
        {
            return ([], 0);
        }

        var calls = (await ports.Calls.ListAsync(job.TenantId, job.Id, cancellationToken)).ToDictionary(c => c.Connector, StringComparer.Ordinal);
        var existing = (await ports.Store.ListAsync(job.TenantId, cancellationToken)).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var ended = (outcomes ?? []).ToDictionary(o => o.Connector, StringComparer.Ordinal);
        var problems = new List<string>();
        var confirmed = 0;
        foreach (var name in called)
        {
            calls.TryGetValue(name, out var call);
            if (call is { IsConfirmed: true })
            {
                confirmed++;
            }
            else if (existing.Contains(name))
            {
                problems.Add(Problem(name, call, ended.GetValueOrDefault(name)));
            }
        }

        return (problems, confirmed);
    }

    /// <summary>
    /// The confirmations a job's record of it lists (the certificate, the export's manifest), in name order: at most
    /// <see cref="ConnectorRules.MaxPerTenant"/>, the latest (connectors removed and added across retries could leave more).
    /// </summary>
    public async Task<IReadOnlyList<ConnectorCall>> ConfirmationsAsync(Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return ports is null
            ? []
            : [.. (await ports.Calls.ListAsync(job.TenantId, job.Id, cancellationToken)).Where(c => c.IsConfirmed)
                .OrderByDescending(c => c.Answer!.At).Take(ConnectorRules.MaxPerTenant).OrderBy(c => c.Connector, StringComparer.Ordinal)];
    }

    /// <summary>The failure a job shows when connectors did not confirm.</summary>
    public static ConnectorsUnconfirmedException Unconfirmed(IReadOnlyList<string> problems, string untouched) =>
        new($"{problems.Count} connector(s) did not confirm: {string.Join("; ", problems)}. {untouched} retry calls them again.");

    // The system's own message stays with its call (GET …/requests/{id}/connectors): it is free text from another system, and
    // this failure goes into the execution's history, which nothing erases.
    private static string Problem(string name, ConnectorCall? call, ConnectorOutcome? outcome)
    {
        if (call?.Answer is { } answer)
        {
            return $"{name} answered {answer.Status}";
        }

        return outcome?.Error switch
        {
            "States.Timeout" => $"{name} did not answer within its window",
            ConnectorUnreachableException.Name => $"{name} could not be reached",
            null => $"{name} did not answer",
            var error => $"{name} failed ({error})",
        };
    }
}

/// <summary>Whom a fan-out calls: the connectors pending, their answer window, and those it cannot call since the subject's id is gone.</summary>
public sealed record ConnectorPlan(IReadOnlyList<string> Pending, int TimeoutSeconds)
{
    public static ConnectorPlan None { get; } = new([], 0);

    public IReadOnlyList<string> Unnameable { get; init; } = [];
}
