using System.Text.Json;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Configuration;
using Lethe.Api.Problems;
using Lethe.Domain.Connectors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Security;
using Microsoft.Extensions.Options;

namespace Lethe.Api.Endpoints;

/// <summary>PUT …/connectors/{name}: the webhook's URL, its signing secret (write-only; omitted keeps the stored one) and the request types it serves.</summary>
public sealed record ConnectorRequest(string? Url, string? Secret, IReadOnlyList<string>? Types);

/// <summary>A connector as the API shows it: never its secret, only that one is set.</summary>
public sealed record ConnectorView(string Name, string Url, IReadOnlyList<string> Types, bool SecretSet, DateTimeOffset UpdatedAt, string UpdatedBy);

public sealed record ConnectorList(IReadOnlyList<ConnectorView> Items);

/// <summary>POST …/requests/{id}/connectors/{name}: the system's answer to a call.</summary>
public sealed record ConnectorAnswerRequest(string? Status, long? Items, string? Message);

/// <summary>The recorded answer; <c>resumed</c> is false when the workflow no longer waited (a retry then uses this answer).</summary>
public sealed record ConnectorAnswerView(string RequestId, string Connector, string Status, long Items, DateTimeOffset AnsweredAt, bool Resumed);

/// <summary>One call of a request to a connector: <c>waiting</c>, or the status it was answered with (and the system's message).</summary>
public sealed record ConnectorCallView(string Connector, DateTimeOffset SentAt, string Status, long? Items, DateTimeOffset? AnsweredAt, string? Message);

public sealed record ConnectorCallList(IReadOnlyList<ConnectorCallView> Items);

/// <summary>What the audit keeps of a connector change: its name, host and types; never the secret or the full URL.</summary>
public sealed record ConnectorAuditDetails(string Connector, string? Host, IReadOnlyList<string>? Types, bool? SecretChanged);

/// <summary>What the audit keeps of an answer: the status and count, never the message (it may name the person).</summary>
public sealed record ConnectorAnswerAuditDetails(string Connector, string Status, long Items, bool Resumed);

/// <summary>
/// Connectors (API.md, Requests): the tenant's other systems an erasure fans out to, each a signed webhook answered through a
/// callback that resumes the workflow. URLs follow the SSRF rules of <see cref="ConnectorRules"/> (https to public hosts; on
/// the local stage also http://localhost), checked again by address when a call connects.
/// </summary>
public static class ConnectorEndpoints
{
    public static IEndpointRouteBuilder MapConnectorEndpoints(this IEndpointRouteBuilder routes)
    {
        var connectors = routes.MapGroup("/v1/tenants/{tenantId}/connectors").WithTags("Connectors");
        connectors.MapGet("/", ListAsync).RequireTenantAccess(Capability.ManageConnectors)
            .WithName("ListConnectors").WithSummary("The tenant's connectors, by name (secrets are never returned).")
            .Produces<ConnectorList>().ProducesProblem(StatusCodes.Status403Forbidden);
        connectors.MapPut("/{name}", PutAsync).RequireTenantAccess(Capability.ManageConnectors)
            .WithName("PutConnector").WithSummary("Creates (201) or replaces (200) a connector: url, secret (write-only, 16–256 characters; omit it to keep the stored one), types. At most 10 per tenant (409).")
            .Produces<ConnectorView>().Produces<ConnectorView>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        connectors.MapGet("/{name}", GetAsync).RequireTenantAccess(Capability.ManageConnectors)
            .WithName("GetConnector").WithSummary("One connector (its secret is never returned).")
            .Produces<ConnectorView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        connectors.MapDelete("/{name}", DeleteAsync).RequireTenantAccess(Capability.ManageConnectors)
            .WithName("DeleteConnector").WithSummary("Removes a connector: every request waiting for its answer stops waiting (its call is recorded as removed), and no later request calls it.")
            .Produces(StatusCodes.Status204NoContent).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        routes.MapGet("/v1/tenants/{tenantId}/requests/{requestId}/connectors", CallsAsync).WithTags("Connectors").RequireTenantAccess(Capability.ManageConnectors)
            .WithName("ListConnectorCalls").WithSummary("The request's calls to connectors: when each was sent, and whether it waits or how it was answered (with the system's message).")
            .Produces<ConnectorCallList>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        routes.MapPost("/v1/tenants/{tenantId}/requests/{requestId}/connectors/{name}", AnswerAsync).WithTags("Connectors").RequireTenantAccess(Capability.AnswerConnectors)
            .WithName("AnswerConnector").WithSummary("A connector's answer to an erasure's or export's call: status done or failed, the items it handled, a message. Resumes the waiting workflow. Sending the same answer again returns it (200); 409 when no call of that request waits for this connector (answered otherwise, never sent, or the request is closed).")
            .Produces<ConnectorAnswerView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    private static async Task<IResult> ListAsync(string tenantId, HttpContext http, IConnectorStore store) =>
        TypedResults.Ok(new ConnectorList([.. (await store.ListAsync(tenantId, http.RequestAborted)).Select(View)]));

    private static async Task<IResult> GetAsync(string tenantId, string name, HttpContext http, IConnectorStore store)
    {
        if (!ConnectorRules.IsValidName(name))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["name"] = [ConnectorRules.NameRule] });
        }

        var connector = (await store.ListAsync(tenantId, http.RequestAborted)).FirstOrDefault(c => c.Name == name);
        return connector is null ? ProblemTypes.NotFound(http, $"Connector {name}") : TypedResults.Ok(View(connector));
    }

    private static async Task<IResult> PutAsync(
        string tenantId, string name, ConnectorRequest? body, HttpContext http, IConnectorStore store, IOptions<LetheApiOptions> options, AuditRecorder audit, TimeProvider clock)
    {
        var errors = Validate(name, body, options.Value.IsLocal);
        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var types = body!.Types!.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var connector = new Connector(name, body.Url!, types, clock.GetUtcNow(), http.Principal().AuditName);
        var outcome = await store.PutAsync(tenantId, connector, body.Secret, http.RequestAborted);
        switch (outcome)
        {
            case ConnectorPut.SecretRequired:
                return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["secret"] = ["A new connector needs a secret (16–256 printable ASCII characters)."] });
            case ConnectorPut.LimitReached:
                return ProblemTypes.Conflict(http, "connector-limit", "Too many connectors",
                    $"A tenant has at most {ConnectorRules.MaxPerTenant} connectors; remove one first.");
        }

        await audit.RecordAsync(http, tenantId, outcome == ConnectorPut.Created ? "connector.create" : "connector.update", $"connector/{name}", "success",
            JsonSerializer.SerializeToElement(new ConnectorAuditDetails(name, new Uri(connector.Url).Host, types, body.Secret is not null), ApiJsonContext.Default.ConnectorAuditDetails));
        var view = View(connector);
        return outcome == ConnectorPut.Created
            ? TypedResults.Created($"/v1/tenants/{tenantId}/connectors/{name}", view)
            : TypedResults.Ok(view);
    }

    private static async Task<IResult> CallsAsync(string tenantId, string requestId, HttpContext http, IJobStore jobs, IConnectorCalls calls)
    {
        if (await jobs.FindAsync(tenantId, requestId, http.RequestAborted) is not { Type: JobType.Deletion or JobType.Export })
        {
            return ProblemTypes.NotFound(http, $"Request {requestId}");
        }

        var listed = await calls.ListAsync(tenantId, requestId, http.RequestAborted);
        return TypedResults.Ok(new ConnectorCallList([.. listed.OrderBy(c => c.Connector, StringComparer.Ordinal).Select(c =>
            new ConnectorCallView(c.Connector, c.SentAt, c.Answer?.Status ?? "waiting", c.Answer?.Items, c.Answer?.At, c.Answer?.Message))]));
    }

    private static async Task<IResult> DeleteAsync(
        string tenantId, string name, HttpContext http, IConnectorStore store, IConnectorCalls calls, ITaskCallbacks callbacks, AuditRecorder audit, TimeProvider clock)
    {
        if (!ConnectorRules.IsValidName(name))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["name"] = [ConnectorRules.NameRule] });
        }

        if (!await store.DeleteAsync(tenantId, name, http.RequestAborted))
        {
            return ProblemTypes.NotFound(http, $"Connector {name}");
        }

        // Requests waiting for it stop waiting: each call is recorded as removed (once, by its own condition) and its task resumed.
        foreach (var waiting in await calls.WaitingForAsync(tenantId, name, http.RequestAborted))
        {
            var removed = new ConnectorAnswer(ConnectorAnswer.Removed, 0, null, clock.GetUtcNow());
            if (await calls.AnswerAsync(tenantId, waiting.JobId, name, removed, http.RequestAborted) is { TaskToken: { } token })
            {
                await callbacks.SucceedAsync(token, CallConnectorStep.CallbackOutput(name, ConnectorAnswer.Removed), http.RequestAborted);
            }
        }

        await audit.RecordAsync(http, tenantId, "connector.delete", $"connector/{name}", "success",
            JsonSerializer.SerializeToElement(new ConnectorAuditDetails(name, null, null, null), ApiJsonContext.Default.ConnectorAuditDetails));
        return TypedResults.NoContent();
    }

    private static async Task<IResult> AnswerAsync(
        string tenantId, string requestId, string name, ConnectorAnswerRequest? body, HttpContext http,
        IJobStore jobs, IConnectorCalls calls, ITaskCallbacks callbacks, AuditRecorder audit, TimeProvider clock)
    {
        var errors = ValidateAnswer(name, body);
        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        if (await jobs.FindAsync(tenantId, requestId, http.RequestAborted) is not { Type: JobType.Deletion or JobType.Export } job)
        {
            return ProblemTypes.NotFound(http, $"Request {requestId}");
        }

        // Open, or failed while its connectors were called (a late answer counts at the retry); a closed request takes none.
        if (!JobStatuses.IsOpen(job.Status) && !(job.Status == JobStatus.Failed && job.Phase == JobPhases.Connectors))
        {
            return NotWaiting(http, requestId, name);
        }

        var message = string.IsNullOrWhiteSpace(body!.Message) ? null : body.Message.Trim();
        var answer = new ConnectorAnswer(body.Status!, body.Items ?? 0, message, clock.GetUtcNow());
        // The write's own condition (the call waits) decides: of a replay or two racing answers, one is recorded.
        if (await calls.AnswerAsync(tenantId, requestId, name, answer, http.RequestAborted) is not { } call)
        {
            // The same answer sent again (its response was lost) gets the recorded one; any other is a conflict.
            var recorded = (await calls.ListAsync(tenantId, requestId, http.RequestAborted)).FirstOrDefault(c => c.Connector == name)?.Answer;
            return recorded is not null && recorded.Status == answer.Status && recorded.Items == answer.Items
                ? TypedResults.Ok(new ConnectorAnswerView(requestId, name, recorded.Status, recorded.Items, recorded.At, Resumed: false))
                : NotWaiting(http, requestId, name);
        }

        var resumed = call.TaskToken is { } token
            && await callbacks.SucceedAsync(token, CallConnectorStep.CallbackOutput(name, answer.Status), http.RequestAborted);
        await audit.RecordAsync(http, tenantId, "connector.answer", $"request/{requestId}/connector/{name}", "success",
            JsonSerializer.SerializeToElement(new ConnectorAnswerAuditDetails(name, answer.Status, answer.Items, resumed), ApiJsonContext.Default.ConnectorAnswerAuditDetails));
        return TypedResults.Ok(new ConnectorAnswerView(requestId, name, answer.Status, answer.Items, answer.At, resumed));
    }

    private static IResult NotWaiting(HttpContext http, string requestId, string name) =>
        ProblemTypes.Conflict(http, "connector-not-waiting", "No call waits for this answer",
            $"Request {requestId} has no call to connector {name} waiting for an answer: it was answered otherwise, never sent, or the request is closed.", requestId);

    private static Dictionary<string, string[]> Validate(string name, ConnectorRequest? body, bool local)
    {
        var errors = new Dictionary<string, string[]>();
        if (!ConnectorRules.IsValidName(name))
        {
            errors["name"] = [ConnectorRules.NameRule];
        }

        if (body is null)
        {
            errors["body"] = ["A JSON body {\"url\",\"secret\",\"types\"} is required."];
            return errors;
        }

        if (ConnectorRules.UrlProblem(body.Url, allowLoopback: local) is { } urlProblem)
        {
            errors["url"] = [urlProblem];
        }

        if (body.Secret is not null && ConnectorRules.SecretProblem(body.Secret) is { } secretProblem)
        {
            errors["secret"] = [secretProblem];
        }

        if (body.Types is not { Count: > 0 } types || types.Any(t => !ConnectorRules.RequestTypes.Contains(t, StringComparer.Ordinal)))
        {
            errors["types"] = [$"types is a non-empty list of: {string.Join(", ", ConnectorRules.RequestTypes)}."];
        }

        return errors;
    }

    private static Dictionary<string, string[]> ValidateAnswer(string name, ConnectorAnswerRequest? body)
    {
        var errors = new Dictionary<string, string[]>();
        if (!ConnectorRules.IsValidName(name))
        {
            errors["name"] = [ConnectorRules.NameRule];
        }

        if (body?.Status is not (ConnectorAnswer.Done or ConnectorAnswer.Failed))
        {
            errors["status"] = ["status is done or failed."];
        }

        if (body?.Items is < 0 or > 1_000_000_000_000)
        {
            errors["items"] = ["items is a count from 0 to 10^12."];
        }

        if (body?.Message is { } message && (message.Length > ConnectorRules.MaxMessageLength || message.Any(char.IsControl)))
        {
            errors["message"] = [$"message is at most {ConnectorRules.MaxMessageLength} characters, without control characters."];
        }

        return errors;
    }

    private static ConnectorView View(Connector connector) =>
        new(connector.Name, connector.Url, connector.Types, SecretSet: true, connector.UpdatedAt, connector.UpdatedBy);
}
