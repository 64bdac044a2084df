using System.Collections.Concurrent;
using System.Text.Json;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Aws.Jobs;

/// <summary>
/// A job's executions (<c>{jobId}-{n}</c>) and their histories from DescribeExecution and GetExecutionHistory, reduced to what
/// the Step Functions console's event list shows: type, state name, error name and a cleaned cause, never inputs or outputs.
/// A history longer than <see cref="ExecutionHistory.MaxEvents"/> shows its newest events (where a failure is), marked truncated.
/// An ended execution is read once per version of its job and then served from memory: GetExecutionHistory's quota is the
/// account's, shared by every tenant, and an open console page looks again every few seconds. (A retry that redrives an
/// execution changes the job, so its history is read afresh.)
/// </summary>
/// <param name="consoleRegion">The region whose Step Functions console links each execution; null (the local cloud): no link.</param>
public sealed class StepFunctionsExecutionHistory(StepFunctionsClient client, Func<JobType, string?> stateMachineArn, string? consoleRegion) : IExecutionHistory
{
    /// <summary>Ended executions kept in memory; past this many the cache starts over (bounded memory, a read each afterwards).</summary>
    public const int MaxCachedExecutions = 2_000;

    private readonly ConcurrentDictionary<string, ExecutionRecord> ended = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<ExecutionRecord>> ListAsync(Job job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (stateMachineArn(job.Type) is not { } machine)
        {
            return [];
        }

        var records = new List<ExecutionRecord>();
        foreach (var n in ExecutionHistory.Numbers(job))
        {
            var arn = StepFunctionsWorkflowStarter.ExecutionArn(machine, Job.ExecutionNameOf(job.Id, n));
            var cacheKey = $"{arn}|{job.UpdatedAt.UtcTicks}";
            if (ended.TryGetValue(cacheKey, out var known))
            {
                records.Add(known);
                continue;
            }

            DescribeExecutionResponse execution;
            try
            {
                execution = await client.DescribeExecutionAsync(arn, cancellationToken);
            }
            catch (ExecutionDoesNotExistException)
            {
                // Not started (awaiting approval, queued) or a number the job skipped: nothing to show.
                continue;
            }

            // The newest events (where a failure is) without state data; shown oldest first.
            var page = await client.GetExecutionHistoryAsync(
                new GetExecutionHistoryRequest(arn, ExecutionHistory.MaxEvents, ReverseOrder: true, IncludeExecutionData: false), cancellationToken);
            var record = new ExecutionRecord(
                execution.Name,
                execution.Status,
                Time(execution.StartDate),
                execution.StopDate is { } stopped ? Time(stopped) : null,
                consoleRegion is null ? null : $"https://{consoleRegion}.console.aws.amazon.com/states/home?region={consoleRegion}#/v2/executions/details/{Uri.EscapeDataString(arn)}",
                page.Events.OrderBy(e => e.Id).Select(ToEvent).ToList(),
                page.NextToken is not null);
            records.Add(record);
            if (execution.Status is not ("RUNNING" or "PENDING_REDRIVE"))
            {
                if (ended.Count >= MaxCachedExecutions)
                {
                    ended.Clear();
                }

                ended[cacheKey] = record;
            }
        }

        return records;
    }

    private static ExecutionEvent ToEvent(HistoryEvent e)
    {
        string? state = null, error = null, cause = null;
        foreach (var details in (e.Details ?? []).Values.Where(d => d.ValueKind == JsonValueKind.Object))
        {
            state ??= Text(details, "name");
            error ??= Text(details, "error");
            cause ??= Text(details, "cause");
        }

        return new ExecutionEvent(e.Id, Time(e.Timestamp), e.Type, state, error, ExecutionHistory.CleanCause(cause));
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static DateTimeOffset Time(double epochSeconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(epochSeconds * 1000));
}
