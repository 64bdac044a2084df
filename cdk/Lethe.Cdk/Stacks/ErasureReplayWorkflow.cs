using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/erasure-replay.asl.json as deployed (<see cref="AslWorkflow"/>): after a restore from a backup, every completed
/// erasure and retention purge is applied again from the deletion tombstones (rows and object versions deleted again, a KEK
/// an erasure shredded shredded again).
/// </summary>
public sealed class ErasureReplayWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
    : AslWorkflow(scope, id, state, "erasure-replay", definitionFile, [ResourceCatalog.Data, ResourceCatalog.Exports, ResourceCatalog.Certificates], createFunction)
{
    protected override void Grant(string handler, Function target)
    {
        switch (handler)
        {
            case Handlers.ReplayPage:
                // The completed jobs (byStatus); a deletion's certificate (its shredded KEK); the tombstones (byPurger) and the
                // archived objects they share with live items; each row (and history row) read back consistently, then deleted
                // through the purge's own deletion; the KEK deleted again with its directory entry and a tombstone put.
                GrantErasureLock(target, "dynamodb:Query");
                Bucket(ResourceCatalog.Certificates).GrantRead(target);
                // Tombstones read again consistently; a row deleted in a transaction that checks its tombstone still names the purge.
                GrantTable(target, Table(ResourceCatalog.Inventory), "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem");
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem");
                GrantTable(target, Table(ResourceCatalog.Keys), "dynamodb:DeleteItem", "dynamodb:PutItem");
                GrantObjectPurge(target);
                break;
            case Handlers.ReplayComplete:
            case Handlers.ReplayRecordFailure:
                // The tenant's replay lock ends with the job.
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            case Handlers.ReplayHandOver:
                GrantStartExecution(target);
                break;
            default:
                throw new InvalidOperationException($"The erasure replay workflow names a handler without grants: {handler}. Add its grants to ErasureReplayWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.ReplayPage => "Erasure replay: applies one page of a completed erasure's or retention run's tombstones again after a restore.",
        Handlers.ReplayComplete => "Erasure replay: completes the replay with its report.",
        Handlers.ReplayHandOver => "Erasure replay: continues a long replay in a fresh execution before the history limit.",
        Handlers.ReplayRecordFailure => "Erasure replay: records a failure on the job and in the audit (the Catch of every Task).",
        _ => $"Erasure replay step {handler}.",
    };
}
