using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Aws.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/deletion.asl.json as deployed (<see cref="AslWorkflow"/>), plus what serves every job: the EventBridge rule that
/// mirrors execution status into jobs (for the deletion and the <paramref name="followedMachineArns"/> workflows), the
/// reconciliation and soft-delete-sweep schedules.
/// </summary>
public sealed class DeletionWorkflow : AslWorkflow
{
    public DeletionWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction, IReadOnlyList<string> followedMachineArns)
        : base(scope, id, state, "deletion", definitionFile, [ResourceCatalog.Data, ResourceCatalog.Exports, ResourceCatalog.Certificates], createFunction)
    {
        ArgumentNullException.ThrowIfNull(followedMachineArns);
        // Operators and the console change executions; the job follows (AWS sends these events itself).
        var jobStatus = Support(createFunction, "job-status", "Mirrors Step Functions execution status changes (stop, failure, redrive) into jobs.");
        new Rule(this, "ExecutionStatusChanged", new RuleProps
        {
            Description = "Every status change of a job's execution (deletion, export) updates its job.",
            EventPattern = new EventPattern
            {
                Source = ["aws.states"],
                DetailType = ["Step Functions Execution Status Change"],
                Detail = new Dictionary<string, object> { ["stateMachineArn"] = new[] { StateMachine.StateMachineArn }.Concat(followedMachineArns).ToArray() },
            },
            Targets = [new LambdaFunction(jobStatus, new LambdaFunctionProps { RetryAttempts = 10 })],
        });
        var reconcile = Support(createFunction, "jobs-reconcile", "Starts executions a crash kept from starting and applies status changes the rule missed.");
        new Rule(this, "ReconcileJobs", new RuleProps
        {
            Description = "Reconciles open jobs with their executions every five minutes.",
            Schedule = Schedule.Rate(Duration.Minutes(5)),
            Targets = [new LambdaFunction(reconcile, new LambdaFunctionProps { RetryAttempts = 2 })],
        });
        var sweep = Support(createFunction, "soft-delete-sweep", "Purges what cancelled erasures left soft-deleted once the recovery window has ended.");
        new Rule(this, "DailySoftDeleteSweep", new RuleProps
        {
            Description = "Purges soft-deleted items past their recovery window, daily.",
            Schedule = Schedule.Cron(new CronOptions { Hour = "3", Minute = "30" }),
            Targets = [new LambdaFunction(sweep, new LambdaFunctionProps { RetryAttempts = 3 })],
        });
    }

    /// <summary>What each step does, as IAM: the grants below (with the job and journal grants of every step) are the whole of it.</summary>
    protected override void Grant(string handler, Function target)
    {
        var inventory = Table(ResourceCatalog.Inventory);
        var records = Table(ResourceCatalog.Records);
        var keys = Table(ResourceCatalog.Keys);
        var tenants = Table(ResourceCatalog.Tenants);
        switch (handler)
        {
            case "erasure-validate":
                // The legal hold check; the inventory is not read (the soft-delete counts what it reads).
                GrantTable(target, tenants, "dynamodb:Query");
                break;
            case "erasure-soft-delete-page":
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:UpdateItem");
                GrantTable(target, records, "dynamodb:UpdateItem");
                // The page's manifest (MANIFEST#jobId#page#part) beside the job, which the purge reads back.
                GrantTable(target, Table(ResourceCatalog.Jobs), "dynamodb:PutItem");
                break;
            case "erasure-begin-purge":
                // A legal hold placed during the window pauses the erasure here.
                GrantTable(target, tenants, "dynamodb:Query");
                break;
            case "erasure-purge-page":
            case "soft-delete-sweep":
                // Pages from the index, consistent re-reads of what a page does not purge, conditional moves.
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem");
                GrantTable(target, records, handler == "erasure-purge-page"
                    ? ["dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"] // hides a missed item's record first
                    : ["dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"]);
                // Holds: listed for the step's check, and the subject's hold marker checked in every move to purging.
                GrantTable(target, tenants, handler == "soft-delete-sweep"
                    ? ["dynamodb:Query", "dynamodb:ConditionCheckItem", "dynamodb:Scan"]
                    : ["dynamodb:Query", "dynamodb:ConditionCheckItem"]);
                if (handler == "soft-delete-sweep")
                {
                    // The sweep leaves a subject with an open erasure to that erasure (its lock).
                    GrantErasureLock(target, "dynamodb:GetItem");
                }

                // Stored files, and the export volumes made of them (inventory items of the subject too).
                foreach (var bucket in new[] { Bucket(ResourceCatalog.Data), Bucket(ResourceCatalog.Exports) })
                {
                    target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:ListBucketVersions", "s3:ListBucket"], Resources = [bucket.BucketArn] }));
                    target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resources = [bucket.ArnForObjects("*")] }));
                }

                break;
            case "erasure-shred":
                // Decided from the job's counters; survivors (if any) paged and re-read consistently, their records rewrapped.
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:BatchGetItem");
                GrantTable(target, records, "dynamodb:GetItem", "dynamodb:UpdateItem");
                GrantTable(target, keys, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem");
                break;
            case "erasure-certify":
                var certificates = Bucket(ResourceCatalog.Certificates);
                certificates.GrantPut(target);
                certificates.GrantRead(target);
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["kms:Sign", "kms:GetPublicKey"], Resources = [State.SigningKey.KeyArn] }));
                // The certificate names the audit chain head at completion.
                GrantTable(target, Table(ResourceCatalog.Audit), "dynamodb:GetItem");
                break;
            case "erasure-schedule-scrub":
                GrantTable(target, tenants, "dynamodb:GetItem");
                // The backup-scrub marker (SCRUB#jobId) beside the job.
                GrantTable(target, Table(ResourceCatalog.Jobs), "dynamodb:PutItem");
                break;
            case "erasure-hand-over":
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["states:StartExecution"], Resources = [StateMachineArn] }));
                break;
            case "erasure-complete":
                // Ends the subject's lock, forgets the free-text reasons of the subject's jobs (their bySubject index), and deletes
                // the purge's page manifests.
                GrantErasureLock(target, "dynamodb:DeleteItem", "dynamodb:Query");
                break;
            case "erasure-record-failure":
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            case "job-status":
                // A failed or stopped execution ends the lock; a redrive in the console takes it again.
                GrantErasureLock(target, "dynamodb:DeleteItem", "dynamodb:PutItem");
                break;
            case "jobs-reconcile":
                GrantErasureLock(target, "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query");
                // A paused erasure resumes once no hold names its subject.
                GrantTable(target, tenants, "dynamodb:Query");
                GrantStartAndDescribe(target);
                break;
            default:
                throw new InvalidOperationException($"The deletion workflow names a handler without grants: {handler}. Add its grants to DeletionWorkflow.");
        }
    }


    protected override string Describe(string handler) => handler switch
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
}
