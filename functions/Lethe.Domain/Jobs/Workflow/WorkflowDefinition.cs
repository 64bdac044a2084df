using Lethe.Domain.Audit;

namespace Lethe.Domain.Jobs.Workflow;

/// <summary>
/// What tells one job workflow from another to the kernel: its name (the ASL file), the job types it runs, the actor its audit
/// events name, the prefix of its audit actions, and the phases its page loop may hand over from.
/// </summary>
public sealed record WorkflowDefinition(string Name, IReadOnlyList<JobType> JobTypes, AuditActor Actor, string AuditPrefix)
{
    /// <summary>Phases whose page loop hands over to a fresh execution before the history limit (none: the workflow never does).</summary>
    public IReadOnlyList<string> HandOverPhases { get; init; } = [];

    /// <summary>
    /// A job paused on purpose (a legal hold): the stop that ended its execution is not a failure, so record-failure and the
    /// reconciler leave it as it is.
    /// </summary>
    public Func<Job, bool> IsPaused { get; init; } = _ => false;

    /// <summary>The longest cause a failure message quotes: enough to diagnose, short enough for the job's item.</summary>
    public const int MaxQuotedCause = 500;

    /// <summary>How a failure reads on the job, from the error name and its cause.</summary>
    public Func<string, string, string> FailureMessage { get; init; } = DefaultFailureMessage;

    /// <summary>
    /// The error name and its message: a Lambda error payload gives its <c>errorMessage</c> alone, never its stack trace (the
    /// job's errors are shown to tenants), cut at <see cref="MaxQuotedCause"/> characters.
    /// </summary>
    public static string DefaultFailureMessage(string error, string cause) =>
        $"{error}: {ExecutionHistory.CleanCause(cause) ?? "see the request's executions for details"}";

    /// <summary>
    /// Phases in which a running job may have lost its execution: a retry, hand-over or resume raised n and died before starting
    /// <c>{jobId}-{n}</c>. The reconciler starts it there (from the beginning when it is the first of them).
    /// </summary>
    public IReadOnlyList<string> RestartPhases { get; init; } = [];

    public bool Runs(JobType type) => JobTypes.Contains(type);
}
