using System.Text.Json.Serialization;
using Lethe.Aws.Certificates;
using Lethe.Aws.Evidence;
using Lethe.Aws.StepFunctions;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Aws;

/// <summary>
/// Every JSON shape this assembly writes or reads, source-generated (trim- and AOT-safe): the Step Functions API's requests
/// and responses (camelCase, as the service spells them), a workflow's input, and the certificate and anchor documents.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(StartExecutionRequest))]
[JsonSerializable(typeof(Lethe.Domain.Notifications.NoticeState))]
[JsonSerializable(typeof(Lethe.Aws.Notifications.EmailSubscriptionsInput))]
[JsonSerializable(typeof(StartExecutionResponse))]
[JsonSerializable(typeof(ExecutionRequest))]
[JsonSerializable(typeof(StopExecutionRequest))]
[JsonSerializable(typeof(StopExecutionResponse))]
[JsonSerializable(typeof(RedriveExecutionRequest))]
[JsonSerializable(typeof(RedriveExecutionResponse))]
[JsonSerializable(typeof(DescribeExecutionResponse))]
[JsonSerializable(typeof(ListExecutionsRequest))]
[JsonSerializable(typeof(ListExecutionsResponse))]
[JsonSerializable(typeof(GetExecutionHistoryRequest))]
[JsonSerializable(typeof(GetExecutionHistoryResponse))]
[JsonSerializable(typeof(SendTaskSuccessRequest))]
[JsonSerializable(typeof(SendTaskFailureRequest))]
[JsonSerializable(typeof(SendTaskHeartbeatRequest))]
[JsonSerializable(typeof(CreateStateMachineRequest))]
[JsonSerializable(typeof(CreateStateMachineResponse))]
[JsonSerializable(typeof(UpdateStateMachineRequest))]
[JsonSerializable(typeof(StateMachineRequest))]
[JsonSerializable(typeof(ListStateMachinesRequest))]
[JsonSerializable(typeof(ListStateMachinesResponse))]
[JsonSerializable(typeof(EmptyResponse))]
[JsonSerializable(typeof(WorkflowInput))]
[JsonSerializable(typeof(CertificateDocument))]
[JsonSerializable(typeof(AnchorDocument))]
[JsonSerializable(typeof(Lethe.Aws.Retention.ArchivedRecordObject))]
[JsonSerializable(typeof(Lethe.Aws.Logs.CreateLogGroupRequest))]
[JsonSerializable(typeof(Lethe.Aws.Logs.PutRetentionPolicyRequest))]
[JsonSerializable(typeof(Lethe.Aws.Logs.CreateLogStreamRequest))]
[JsonSerializable(typeof(Lethe.Aws.Logs.PutLogEventsRequest))]
[JsonSerializable(typeof(Lethe.Aws.Logs.FilterLogEventsRequest))]
[JsonSerializable(typeof(Lethe.Aws.Logs.FilterLogEventsResponse))]
[JsonSerializable(typeof(Lethe.Aws.Retention.ArchivedRecord))]
internal sealed partial class AwsJsonContext : JsonSerializerContext;
