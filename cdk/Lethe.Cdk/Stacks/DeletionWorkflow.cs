using Amazon.CDK;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

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
        var jobStatus = Support(createFunction, Handlers.JobStatus, "Mirrors Step Functions execution status changes (stop, failure, redrive) into jobs.");
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
        var reconcile = Support(createFunction, Handlers.JobsReconcile, "Starts executions a crash kept from starting and applies status changes the rule missed.");
        new Rule(this, "ReconcileJobs", new RuleProps
        {
            Description = "Reconciles open jobs with their executions every five minutes.",
            Schedule = Schedule.Rate(Duration.Minutes(5)),
            Targets = [new LambdaFunction(reconcile, new LambdaFunctionProps { RetryAttempts = 2 })],
        });
        var sweep = Support(createFunction, Handlers.SoftDeleteSweep, "Purges what cancelled erasures left soft-deleted once the recovery window has ended.");
        new Rule(this, "DailySoftDeleteSweep", new RuleProps
        {
            Description = "Purges soft-deleted items past their recovery window, daily.",
            Schedule = Schedule.Cron(new CronOptions { Hour = "3", Minute = "30" }),
            Targets = [new LambdaFunction(sweep, new LambdaFunctionProps { RetryAttempts = 3 })],
        });
        var overdue = Support(createFunction, Handlers.RequestOverdueSchedule, "Daily overdue check: each deletion or export past its deadline raises request.overdue once.");
        new Rule(this, "DailyOverdueCheck", new RuleProps
        {
            Description = "Flags requests past their deadline (request.overdue, once per request), daily.",
            Schedule = Schedule.Cron(new CronOptions { Hour = "6", Minute = "0" }),
            Targets = [new LambdaFunction(overdue, new LambdaFunctionProps { RetryAttempts = 3 })],
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
            case Handlers.ErasureValidate:
                // The legal hold check; the inventory is not read (the soft-delete counts what it reads).
                GrantTable(target, tenants, "dynamodb:Query");
                break;
            case Handlers.ErasureSoftDeletePage:
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:UpdateItem");
                GrantTable(target, records, "dynamodb:UpdateItem");
                // The page's manifest, which the purge reads back; the last page removes what an earlier pass wrote beyond it.
                GrantTable(target, Table(ResourceCatalog.Manifests), "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem");
                break;
            case Handlers.ErasureBeginPurge:
                // A legal hold placed during the window pauses the erasure here.
                GrantTable(target, tenants, "dynamodb:Query");
                break;
            case Handlers.ErasurePlanConnectors:
            case Handlers.ErasureSettleConnectors:
                // The tenant (its time scale), its connectors row, and the job's call rows beside them.
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:Query");
                break;
            case Handlers.ErasureCallConnector:
                // The connectors row (its secret sealed under the tenant's subject-ref key: a Keys read and the tenant key, which
                // admits this role), the subject's id from the directory (its KEK), the call row with its task token; and the
                // callback for a connector confirmed already or removed (SendTaskSuccess has no resource type in IAM: "*").
                GrantTable(target, tenants, "dynamodb:GetItem", "dynamodb:PutItem");
                GrantTable(target, keys, "dynamodb:GetItem");
                target.AddToRolePolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps { Actions = ["states:SendTaskSuccess"], Resources = ["*"] }));
                break;
            case Handlers.ErasurePurgePage:
            case Handlers.SoftDeleteSweep:
                // Pages from the index, consistent re-reads of what a page does not purge, conditional moves.
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem");
                GrantTable(target, records, handler == Handlers.ErasurePurgePage
                    ? ["dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"] // hides a missed item's record first
                    : ["dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"]);
                // Holds: listed for the step's check, and the subject's hold marker checked in every move to purging.
                GrantTable(target, tenants, handler == Handlers.SoftDeleteSweep
                    ? ["dynamodb:Query", "dynamodb:ConditionCheckItem", "dynamodb:Scan"]
                    : ["dynamodb:Query", "dynamodb:ConditionCheckItem"]);
                if (handler == Handlers.SoftDeleteSweep)
                {
                    // Abandoned uploads (no object before the link expired): the upload row moved to failed, conditional on its item;
                    // an upload whose object is in the ingest bucket (HEAD needs GetObject) is left to the receiver.
                    GrantTable(target, records, "dynamodb:UpdateItem");
                    GrantTable(target, inventory, "dynamodb:ConditionCheckItem");
                    target.AddToRolePolicy(new Amazon.CDK.AWS.IAM.PolicyStatement(new Amazon.CDK.AWS.IAM.PolicyStatementProps
                    {
                        Actions = ["s3:GetObject"],
                        Resources = [Bucket(ResourceCatalog.Ingest).ArnForObjects("*")],
                    }));
                }

                if (handler == Handlers.ErasurePurgePage)
                {
                    // A record's tombstone is a conditional put, in the transaction that deletes the record; the manifests are
                    // read back, and a sweep page writes its own before it purges.
                    GrantTable(target, inventory, "dynamodb:PutItem");
                    GrantTable(target, Table(ResourceCatalog.Manifests), "dynamodb:GetItem", "dynamodb:PutItem");
                    // Masking: the records of masked categories are read and opened (the tenant, the subject's KEK and directory
                    // entry; the tenant key admits this role in its policy), and their copies put with the originals' purge.
                    GrantTable(target, records, "dynamodb:BatchGetItem", "dynamodb:PutItem");
                    GrantTable(target, keys, "dynamodb:GetItem");
                    GrantTable(target, tenants, "dynamodb:GetItem");
                }

                if (handler == Handlers.SoftDeleteSweep)
                {
                    // The sweep leaves a subject with an open erasure to that erasure (its lock).
                    GrantErasureLock(target, "dynamodb:GetItem");
                }

                // Stored files, and the export volumes made of them (inventory items of the subject too).
                GrantObjectPurge(target);

                break;
            case Handlers.ErasureShred:
                // Decided from the job's counters; survivors (if any) paged and re-read consistently, their records rewrapped.
                GrantTable(target, inventory, "dynamodb:Query", "dynamodb:BatchGetItem");
                GrantTable(target, records, "dynamodb:GetItem", "dynamodb:UpdateItem");
                GrantTable(target, keys, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem");
                break;
            case Handlers.ErasureCertify:
                GrantCertificateSigning(target);
                // The connectors' confirmations (the job's call rows).
                GrantTable(target, tenants, "dynamodb:Query");
                break;
            case Handlers.ErasureStartBackupScrub:
                // The scrub's job and execution: granted by the backup-scrub workflow (StatelessStack), whose machine this names.
                break;
            case Handlers.ErasureHandOver:
                GrantStartExecution(target);
                break;
            case Handlers.ErasureComplete:
                // Ends the subject's lock, forgets the free-text reasons of the subject's jobs (their bySubject index), and deletes
                // the purge's page manifests.
                GrantErasureLock(target, "dynamodb:DeleteItem", "dynamodb:Query");
                GrantTable(target, Table(ResourceCatalog.Manifests), "dynamodb:Query", "dynamodb:DeleteItem");
                break;
            case Handlers.ErasureRecordFailure:
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            case Handlers.JobStatus:
                // A failed or stopped execution ends the lock; a redrive in the console takes it again.
                GrantErasureLock(target, "dynamodb:DeleteItem", "dynamodb:PutItem");
                break;
            case Handlers.JobsReconcile:
                GrantErasureLock(target, "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query");
                // A paused erasure resumes once no hold names its subject.
                GrantTable(target, tenants, "dynamodb:Query");
                GrantReconcile(target);
                break;
            case Handlers.RequestOverdueSchedule:
                // Every tenant id; each tenant's unfinished requests by status (the status index), marked overdue once.
                GrantTable(target, tenants, "dynamodb:Scan");
                GrantTable(target, Table(ResourceCatalog.Jobs), "dynamodb:Query");
                break;
            default:
                throw new InvalidOperationException($"The deletion workflow names a handler without grants: {handler}. Add its grants to DeletionWorkflow.");
        }
    }


    protected override string Describe(string handler) => handler switch
    {
        Handlers.ErasureValidate => "Deletion workflow: validates the request (open job, no legal hold) and starts the soft-delete.",
        Handlers.ErasureSoftDeletePage => "Deletion workflow: soft-deletes one page of the subject's items (hidden from every read at once).",
        Handlers.ErasureBeginPurge => "Deletion workflow: ends the recovery window, or stops cleanly when the request was cancelled.",
        Handlers.ErasurePlanConnectors => "Deletion workflow: names the connectors (the tenant's other systems) that have not confirmed the erasure yet.",
        Handlers.ErasureCallConnector => "Deletion workflow: posts the signed call to one connector and waits for its callback (task token).",
        Handlers.ErasureSettleConnectors => "Deletion workflow: lets the purge begin once every connector confirmed, or fails the job listing those that did not.",
        Handlers.ErasurePurgePage => "Deletion workflow: purges one page (every object version, every table item), skipping restored and held items.",
        Handlers.ErasureShred => "Deletion workflow: crypto-shreds the subject's KEK (survivors are rewrapped under a fresh KEK first).",
        Handlers.ErasureCertify => "Deletion workflow: signs the deletion certificate (KMS, P-256) into the Object-Lock bucket, once.",
        Handlers.ErasureStartBackupScrub => "Deletion workflow: starts the backup scrub of the certified erasure (its supplemental certificate within 30 days).",
        Handlers.ErasureComplete => "Deletion workflow: completes the job and ends the subject's erasure lock.",
        Handlers.ErasureRecordFailure => "Deletion workflow: records a failure on the job and in the audit (the Catch of every Task).",
        Handlers.ErasureHandOver => "Deletion workflow: continues a long erasure in a fresh execution before the history limit.",
        _ => $"Deletion workflow step {handler}.",
    };
}
