using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Connectors;

/// <summary>The state of one iteration of a Connectors Map: the job, the connector and the task token its answer resumes.</summary>
public sealed record ConnectorCallState(string TenantId, string JobId, int Execution) : IWorkflowState
{
    public required string Connector { get; init; }

    public required string TaskToken { get; init; }
}

/// <summary>
/// CallConnector (<c>lambda:invoke.waitForTaskToken</c>, in the deletion and the export workflows): records the call with its
/// task token, then posts the signed body of API.md to the connector's URL. A non-2xx or a network failure throws
/// <c>Lethe.ConnectorUnreachable</c>, which the state retries with backoff. A connector confirmed already (a replay) or
/// removed meanwhile resumes the task at once, and so does a subject placed under a legal hold (<paramref name="holds"/>, for
/// an erasure: nothing is asked of anyone; SettleConnectors pauses the erasure).
/// </summary>
public sealed class CallConnectorStep(
    WorkflowDefinition workflow, string requestType, ConnectorPorts? connectors, Erasure.IHoldCheck? holds, IJobStore jobs, IAuditJournal audit, TimeProvider clock)
    : WorkflowStep<ConnectorCallState>(workflow, jobs, audit, clock)
{
    /// <summary>The status a task resumes with when the subject is under a legal hold and the call was not made.</summary>
    public const string Held = "held";

    public override async Task<ConnectorCallState> RunAsync(ConnectorCallState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var ports = connectors ?? throw new InvalidOperationException($"The {Workflow.Name} workflow has no connector ports.");
        var job = await OpenJobAsync(state, cancellationToken);
        if (job.Phase != JobPhases.Connectors)
        {
            throw new JobNotActiveException($"Job {job.Id} is in {job.Phase}, not waiting for its connectors.");
        }

        if (await ports.Store.OpenAsync(job.TenantId, state.Connector, cancellationToken) is not var (connector, secret))
        {
            await ResumeAsync(ports, state, "removed", cancellationToken);
            return state;
        }

        if (holds is not null && await holds.IsHeldAsync(job.TenantId, job.SubjectRef, cancellationToken))
        {
            await ResumeAsync(ports, state, Held, cancellationToken);
            return state;
        }

        // Named before the call is recorded: a call is only ever waiting when its system was told whom to erase.
        var subjectId = await ports.Subjects.FindIdAsync(job.TenantId, job.SubjectRef, cancellationToken)
            ?? throw new ConnectorsUnconfirmedException($"The subject of job {job.Id} can no longer be named to connector {connector.Name}: its id is erased already.");
        var at = Now;
        if (!await ports.Calls.OpenAsync(job.TenantId, job.Id, connector.Name, state.TaskToken, at, cancellationToken))
        {
            await ResumeAsync(ports, state, ConnectorAnswer.Done, cancellationToken);
            return state;
        }
        var body = ConnectorSignature.Body(job.TenantId, job.Id, requestType, subjectId, connector.Name);
        var delivery = await ports.Transport.PostAsync(new Uri(connector.Url), ConnectorSignature.Headers(secret, body, at), body, cancellationToken);
        await AuditOnceAsync(job, $"connector-sent:{connector.Name}:{job.Execution}:{at.ToUnixTimeMilliseconds()}", $"{Workflow.AuditPrefix}.connector.sent",
            delivery.Delivered ? AuditActions.Success : AuditActions.Failure,
            new JsonObject { ["connector"] = connector.Name, ["delivery"] = delivery.Outcome }, cancellationToken);
        if (!delivery.Delivered)
        {
            // The outcome (status code or network error) is in the audit for the tenant's admins; the error stays generic.
            throw new ConnectorUnreachableException($"Connector {connector.Name} was not reached.");
        }

        return state;
    }

    private static Task<bool> ResumeAsync(ConnectorPorts connectors, ConnectorCallState state, string status, CancellationToken cancellationToken) =>
        connectors.Callbacks.SucceedAsync(state.TaskToken, CallbackOutput(state.Connector, status), cancellationToken);

    /// <summary>What a resumed task returns into the Map: the connector and its status (never the message).</summary>
    public static string CallbackOutput(string connector, string status) =>
        new JsonObject { ["connector"] = connector, ["status"] = status }.ToJsonString();
}
