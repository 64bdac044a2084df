namespace Lethe.Domain.Jobs.Workflow;

/// <summary>One event of an execution's state history, as the Step Functions console lists it (no state input or output).</summary>
/// <param name="State">The state entered or exited, when the event names one.</param>
/// <param name="Error">The error name of a failure event (for example <c>Lethe.Transient</c>).</param>
/// <param name="Cause">The failure's message, without stack traces, at most <see cref="ExecutionHistory.MaxCauseLength"/> characters.</param>
public sealed record ExecutionEvent(long Id, DateTimeOffset At, string Type, string? State, string? Error, string? Cause);

/// <summary>One execution of a job (<c>{jobId}-{n}</c>) with its state history.</summary>
/// <param name="ConsoleUrl">Where the Step Functions console shows it (AWS); null on the local cloud, which has no console.</param>
/// <param name="Truncated">The history has more than <see cref="ExecutionHistory.MaxEvents"/> events; the newest are listed.</param>
public sealed record ExecutionRecord(
    string Name, string Status, DateTimeOffset StartedAt, DateTimeOffset? StoppedAt, string? ConsoleUrl, IReadOnlyList<ExecutionEvent> Events, bool Truncated);

/// <summary>The executions of a job and their histories (the admin console's view of the Step Functions console). A port.</summary>
public interface IExecutionHistory
{
    /// <summary>The job's executions, newest last: at most <see cref="ExecutionHistory.MaxExecutions"/> of them, those that exist.</summary>
    Task<IReadOnlyList<ExecutionRecord>> ListAsync(Job job, CancellationToken cancellationToken);
}

public static class ExecutionHistory
{
    public const int MaxExecutions = 10;
    public const int MaxEvents = 1000;
    public const int MaxCauseLength = WorkflowDefinition.MaxQuotedCause;

    /// <summary>The execution numbers to show: the last <see cref="MaxExecutions"/> up to the job's current one.</summary>
    public static IEnumerable<int> Numbers(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var first = Math.Max(1, job.Execution - MaxExecutions + 1);
        return Enumerable.Range(first, job.Execution - first + 1);
    }

    /// <summary>
    /// A failure cause fit to show a client: a Lambda error payload (<c>{"errorType","errorMessage","stackTrace"}</c>) gives its
    /// message alone, without a stack trace, cut to <see cref="MaxCauseLength"/> characters. Any other cause (Step Functions'
    /// own errors quote state input, task tokens, ARNs of our account) is withheld: null.
    /// </summary>
    public static string? CleanCause(string? cause)
    {
        if (string.IsNullOrWhiteSpace(cause) || !cause.TrimStart().StartsWith('{'))
        {
            return null;
        }

        string text;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(cause);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object
                || !document.RootElement.TryGetProperty("errorMessage", out var message) || message.ValueKind != System.Text.Json.JsonValueKind.String)
            {
                return null;
            }

            text = message.GetString()!.Trim();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }

        var stack = text.IndexOf("   at ", StringComparison.Ordinal);
        if (stack >= 0)
        {
            text = text[..stack].TrimEnd();
        }

        return text.Length == 0 ? null : text.Length <= MaxCauseLength ? text : text[..MaxCauseLength];
    }
}
