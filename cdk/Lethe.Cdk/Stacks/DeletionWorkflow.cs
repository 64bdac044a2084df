using System.Text.RegularExpressions;
using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.StepFunctions;
using Constructs;
using Lethe.Aws.Catalog;
using Lethe.Aws.Configuration;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/deletion.asl.json as deployed: one function per Task state (the ASL's <c>${Function_…}</c> placeholders name
/// them, so file and stack cannot drift), the Standard state machine built from the file with DefinitionSubstitutions, the
/// EventBridge rule that mirrors execution status into jobs, the reconciliation and soft-delete-sweep schedules, and for
/// every function exactly the actions its step performs.
/// </summary>
public sealed partial class DeletionWorkflow : Construct
{
    /// <summary>Fixed, so functions can be granted on it without a dependency cycle (the machine refers to them).</summary>
    public static string StateMachineName(string stage) => $"lethe-{stage}-deletion";

    public DeletionWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, Func<string, string, string, Dictionary<string, string>, Function> createFunction)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(createFunction);
        var definition = File.ReadAllText(definitionFile);
        _state = state;
        StateMachineArn = $"arn:{Amazon.CDK.Aws.PARTITION}:states:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:stateMachine:{StateMachineName(state.Stage)}";
        var environment = Environment(state);
        environment[ResourceNames.WorkflowVariable("deletion")] = StateMachineArn;

        var substitutions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Text.RegularExpressions.Match placeholder in FunctionPlaceholder().Matches(definition))
        {
            var handler = placeholder.Groups["handler"].Value.Replace('_', '-');
            if (Functions.ContainsKey(handler))
            {
                continue;
            }

            var function = createFunction(Pascal(handler), Describe(handler), handler, new Dictionary<string, string>(environment) { ["POWERTOOLS_SERVICE_NAME"] = $"lethe-{handler}" });
            Grant(handler, function);
            Functions[handler] = function;
            substitutions[placeholder.Groups[0].Value[2..^1]] = function.FunctionArn;
        }

        var topic = state.Topics[ResourceCatalog.Notifications.LogicalName];
        substitutions[ResourceCatalog.Notifications.ArnVariable] = topic.TopicArn;
        var logs = new LogGroup(this, "ExecutionLogs", new Amazon.CDK.AWS.Logs.LogGroupProps { Retention = RetentionDays.THREE_MONTHS, RemovalPolicy = RemovalPolicy.DESTROY });
        StateMachine = new StateMachine(this, "StateMachine", new StateMachineProps
        {
            StateMachineName = StateMachineName(state.Stage),
            StateMachineType = StateMachineType.STANDARD,
            DefinitionBody = DefinitionBody.FromString(definition),
            DefinitionSubstitutions = substitutions,
            TracingEnabled = true,
            Logs = new LogOptions { Destination = logs, Level = LogLevel.ERROR, IncludeExecutionData = false },
        });
        foreach (var function in Functions.Values)
        {
            function.GrantInvoke(StateMachine);
        }

        topic.GrantPublish(StateMachine);
        state.PlatformKey.Grant(StateMachine, "kms:GenerateDataKey", "kms:Decrypt");

        // Operators and the console change executions; the job follows (AWS sends these events itself).
        var jobStatus = Support(createFunction, "job-status", "Mirrors Step Functions execution status changes (stop, failure, redrive) into jobs.", environment);
        new Rule(this, "ExecutionStatusChanged", new RuleProps
        {
            Description = "Every status change of a deletion execution updates its job.",
            EventPattern = new EventPattern
            {
                Source = ["aws.states"],
                DetailType = ["Step Functions Execution Status Change"],
                Detail = new Dictionary<string, object> { ["stateMachineArn"] = new[] { StateMachine.StateMachineArn } },
            },
            Targets = [new LambdaFunction(jobStatus, new LambdaFunctionProps { RetryAttempts = 10 })],
        });
        var reconcile = Support(createFunction, "jobs-reconcile", "Starts executions a crash kept from starting and applies status changes the rule missed.", environment);
        new Rule(this, "ReconcileJobs", new RuleProps
        {
            Description = "Reconciles open jobs with their executions every five minutes.",
            Schedule = Schedule.Rate(Duration.Minutes(5)),
            Targets = [new LambdaFunction(reconcile, new LambdaFunctionProps { RetryAttempts = 2 })],
        });
        var sweep = Support(createFunction, "soft-delete-sweep", "Purges what cancelled erasures left soft-deleted once the recovery window has ended.", environment);
        new Rule(this, "DailySoftDeleteSweep", new RuleProps
        {
            Description = "Purges soft-deleted items past their recovery window, daily.",
            Schedule = Schedule.Cron(new CronOptions { Hour = "3", Minute = "30" }),
            Targets = [new LambdaFunction(sweep, new LambdaFunctionProps { RetryAttempts = 3 })],
        });
    }

    private readonly StatefulStack _state;

    public Dictionary<string, Function> Functions { get; } = new(StringComparer.Ordinal);

    public StateMachine StateMachine { get; }

    public string StateMachineArn { get; }

    /// <summary>Lets a principal (the API) start, stop and describe deletion executions, and nothing else in Step Functions.</summary>
    public void GrantExecutions(IGrantable grantee)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["states:StartExecution"],
            Resources = [StateMachineArn],
        }));
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["states:StopExecution", "states:DescribeExecution"],
            Resources = [ExecutionsArn],
        }));
    }

    private string ExecutionsArn =>
        $"arn:{Amazon.CDK.Aws.PARTITION}:states:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:execution:{StateMachineName(_state.Stage)}:*";

    private Function Support(Func<string, string, string, Dictionary<string, string>, Function> createFunction, string handler, string description, Dictionary<string, string> environment)
    {
        var function = createFunction(Pascal(handler), description, handler, new Dictionary<string, string>(environment) { ["POWERTOOLS_SERVICE_NAME"] = $"lethe-{handler}" });
        Grant(handler, function);
        Functions[handler] = function;
        return function;
    }

    /// <summary>What each step does, as IAM: the grants below are the whole of it (no wildcards; a cdk test holds it).</summary>
    private void Grant(string handler, Function function)
    {
        var jobs = _state.Tables[ResourceCatalog.Jobs.LogicalName];
        var inventory = _state.Tables[ResourceCatalog.Inventory.LogicalName];
        var records = _state.Tables[ResourceCatalog.Records.LogicalName];
        var keys = _state.Tables[ResourceCatalog.Keys.LogicalName];
        var tenants = _state.Tables[ResourceCatalog.Tenants.LogicalName];
        var audit = _state.Tables[ResourceCatalog.Audit.LogicalName];
        _state.PlatformKey.GrantEncryptDecrypt(function);
        GrantTable(function, jobs, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem");
        // Every step journals what it did; the journal is append-only (PutItem with a condition, never update or delete).
        GrantTable(function, audit, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query");
        switch (handler)
        {
            case "erasure-validate":
                GrantTable(function, inventory, "dynamodb:Query");
                GrantTable(function, tenants, "dynamodb:GetItem", "dynamodb:Query");
                break;
            case "erasure-soft-delete-page":
                GrantTable(function, inventory, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem");
                GrantTable(function, records, "dynamodb:UpdateItem");
                break;
            case "erasure-purge-page":
            case "soft-delete-sweep":
                GrantTable(function, inventory, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem");
                GrantTable(function, records, "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem");
                GrantTable(function, tenants, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan");
                var data = _state.Buckets[ResourceCatalog.Data.LogicalName];
                function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:ListBucketVersions", "s3:ListBucket"], Resources = [data.BucketArn] }));
                function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resources = [data.ArnForObjects("*")] }));
                break;
            case "erasure-shred":
                GrantTable(function, inventory, "dynamodb:Query");
                GrantTable(function, records, "dynamodb:GetItem", "dynamodb:UpdateItem");
                GrantTable(function, keys, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem");
                TenantKeyUse(function, "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey");
                break;
            case "erasure-certify":
                GrantTable(function, inventory, "dynamodb:Query");
                var certificates = _state.Buckets[ResourceCatalog.Certificates.LogicalName];
                certificates.GrantPut(function);
                certificates.GrantRead(function);
                function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["kms:Sign", "kms:GetPublicKey"], Resources = [_state.SigningKey.KeyArn] }));
                break;
            case "erasure-schedule-scrub":
                GrantTable(function, tenants, "dynamodb:GetItem");
                break;
            case "erasure-hand-over":
                function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:StartExecution"], Resources = [StateMachineArn] }));
                break;
            case "jobs-reconcile":
                GrantTable(function, tenants, "dynamodb:GetItem", "dynamodb:Scan");
                function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:StartExecution"], Resources = [StateMachineArn] }));
                function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:DescribeExecution"], Resources = [ExecutionsArn] }));
                break;
            case "erasure-begin-purge" or "erasure-complete" or "erasure-record-failure" or "job-status":
                break;
            default:
                throw new InvalidOperationException($"The deletion workflow names a handler without grants: {handler}. Add its grants to DeletionWorkflow.");
        }
    }

    private static void GrantTable(Function function, Table table, params string[] actions) =>
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = actions, Resources = [table.TableArn, $"{table.TableArn}/index/*"] }));

    /// <summary>Tenant keys exist only at run time: usable only when tagged as a Lethe tenant key.</summary>
    private static void TenantKeyUse(Function function, params string[] actions) =>
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = actions,
            Resources = [$"arn:{Amazon.CDK.Aws.PARTITION}:kms:{Amazon.CDK.Aws.REGION}:{Amazon.CDK.Aws.ACCOUNT_ID}:key/*"],
            Conditions = new Dictionary<string, object> { ["StringLike"] = new Dictionary<string, object> { ["aws:ResourceTag/lethe:tenant"] = "*" } },
        }));

    private static Dictionary<string, string> Environment(StatefulStack state)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LETHE_STAGE"] = "aws",
            ["LETHE_RESOURCE_PREFIX"] = $"lethe-{state.Stage}",
            [ResourceCatalog.SigningKey.IdVariable] = state.SigningKey.KeyArn,
            [ResourceCatalog.Notifications.ArnVariable] = state.Topics[ResourceCatalog.Notifications.LogicalName].TopicArn,
        };
        foreach (var table in ResourceCatalog.Tables)
        {
            variables[table.NameVariable] = state.Tables[table.LogicalName].TableName;
        }

        foreach (var bucket in new[] { ResourceCatalog.Data, ResourceCatalog.Certificates })
        {
            variables[bucket.NameVariable] = state.Buckets[bucket.LogicalName].BucketName;
        }

        return variables;
    }

    private static string Pascal(string handler) =>
        string.Concat(handler.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    private static string Describe(string handler) => handler switch
    {
        "erasure-validate" => "Deletion workflow: validates the request (open job, no legal hold) and counts the subject's items.",
        "erasure-soft-delete-page" => "Deletion workflow: soft-deletes one page of the subject's items (hidden from every read at once).",
        "erasure-begin-purge" => "Deletion workflow: ends the recovery window, or stops cleanly when the request was cancelled.",
        "erasure-purge-page" => "Deletion workflow: purges one page (every object version, every table item), skipping restored and held items.",
        "erasure-shred" => "Deletion workflow: crypto-shreds the subject's KEK (survivors are rewrapped under a fresh KEK first).",
        "erasure-certify" => "Deletion workflow: signs the deletion certificate (KMS, P-256) into the Object-Lock bucket, once.",
        "erasure-schedule-scrub" => "Deletion workflow: records that backups must be scrubbed of the subject within 30 days.",
        "erasure-complete" => "Deletion workflow: completes the job and ends the subject's erasure lock.",
        "erasure-record-failure" => "Deletion workflow: records a failure on the job and in the audit (the Catch of every Task).",
        "erasure-hand-over" => "Deletion workflow: continues a long erasure in a fresh execution before the history limit.",
        _ => $"Deletion workflow step {handler}.",
    };

    [GeneratedRegex(@"\$\{Function_(?<handler>[a-z0-9_]+)\}")]
    private static partial Regex FunctionPlaceholder();
}
