using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lethe.Aws.StepFunctions;

// Request and response shapes of the AWS JSON 1.0 Step Functions API (only the fields Lethe uses).
// Times arrive as epoch seconds with a fraction, as the service sends them.

public sealed record StartExecutionRequest(string StateMachineArn, string Name, string Input, string? TraceHeader = null);

public sealed record StartExecutionResponse(string ExecutionArn, double StartDate);

public sealed record ExecutionRequest(string ExecutionArn);

public sealed record StopExecutionRequest(string ExecutionArn, string? Error = null, string? Cause = null);

public sealed record StopExecutionResponse(double StopDate);

public sealed record RedriveExecutionRequest(string ExecutionArn, string? ClientToken = null);

public sealed record RedriveExecutionResponse(double RedriveDate);

public sealed record DescribeExecutionResponse(
    string ExecutionArn,
    string StateMachineArn,
    string Name,
    string Status,
    double StartDate,
    double? StopDate,
    string? Input,
    string? Output,
    string? Error,
    string? Cause,
    int? RedriveCount,
    string? RedriveStatus);

public sealed record ListExecutionsRequest(string StateMachineArn, string? StatusFilter = null, int? MaxResults = null, string? NextToken = null);

public sealed record ExecutionListItem(string ExecutionArn, string StateMachineArn, string Name, string Status, double StartDate, double? StopDate);

public sealed record ListExecutionsResponse(IReadOnlyList<ExecutionListItem> Executions, string? NextToken);

public sealed record GetExecutionHistoryRequest(string ExecutionArn, int? MaxResults = null, string? NextToken = null, bool? ReverseOrder = null, bool? IncludeExecutionData = null);

/// <summary>One history event. Only the type and ids are typed; event details stay in the extension data.</summary>
public sealed class HistoryEvent
{
    public long Id { get; init; }

    public long? PreviousEventId { get; init; }

    public string Type { get; init; } = string.Empty;

    public double Timestamp { get; init; }

    /// <summary>The event's details object (for example <c>lambdaFunctionFailedEventDetails</c>), by its property name.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Details { get; set; }
}

public sealed record GetExecutionHistoryResponse(IReadOnlyList<HistoryEvent> Events, string? NextToken);

public sealed record SendTaskSuccessRequest(string TaskToken, string Output);

public sealed record SendTaskFailureRequest(string TaskToken, string? Error = null, string? Cause = null);

public sealed record SendTaskHeartbeatRequest(string TaskToken);

public sealed record CreateStateMachineRequest(string Name, string Definition, string RoleArn, string Type = "STANDARD");

public sealed record CreateStateMachineResponse(string StateMachineArn, double CreationDate);

public sealed record UpdateStateMachineRequest(string StateMachineArn, string Definition);

public sealed record StateMachineRequest(string StateMachineArn);

public sealed record StateMachineListItem(string StateMachineArn, string Name, string Type);

public sealed record ListStateMachinesRequest(int? MaxResults = null, string? NextToken = null);

public sealed record ListStateMachinesResponse(IReadOnlyList<StateMachineListItem> StateMachines, string? NextToken);

public sealed record EmptyResponse;
