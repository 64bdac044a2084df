namespace Lethe.Domain.Jobs.Workflow;

/// <summary>
/// The small input an execution starts with (ids, cursor, page; never data). <see cref="Resume"/> names the loop a hand-over,
/// resume or retry continues in; a first run leaves it empty.
/// </summary>
public sealed record WorkflowInput(string TenantId, string JobId, int Execution) : IWorkflowState
{
    public string? Resume { get; init; }

    public string? Cursor { get; init; }

    public long Page { get; init; }

    public int PageSize { get; init; } = WorkflowPaging.PageSize;

    public int PagesPerExecution { get; init; } = WorkflowPaging.DefaultPagesPerExecution;
}

/// <summary>How page loops are cut: items per page and pages per execution before a hand-over.</summary>
public static class WorkflowPaging
{
    /// <summary>
    /// Items per read page, everywhere (production, benchmark, tests that do not choose smaller ones): large enough that
    /// DynamoDB's own 1 MB cap usually ends a page first, so a subject's inventory is read in as few calls as a raw loop's.
    /// </summary>
    public const int PageSize = 2500;

    /// <summary>
    /// A page loop costs about eight history events; 1,000 pages stay far below the 25,000-event limit of an execution, then a
    /// fresh execution takes over with the cursor.
    /// </summary>
    public const int DefaultPagesPerExecution = 1000;
}
