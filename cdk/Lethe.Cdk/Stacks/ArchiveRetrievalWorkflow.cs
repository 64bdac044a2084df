using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Constructs;
using Lethe.Catalog;

namespace Lethe.Cdk.Stacks;

/// <summary>
/// workflows/archive-retrieval.asl.json as deployed (<see cref="AslWorkflow"/>): RestoreObject on an archived item's object,
/// poll until restored, make it readable for 7 days (a record put back into its table, a file downloadable), notify, archive
/// it again. Only the make-readable step reads archived content (under the tenant key's own policy).
/// </summary>
public sealed class ArchiveRetrievalWorkflow(Construct scope, string id, StatefulStack state, string definitionFile, FunctionFactory createFunction)
    : AslWorkflow(scope, id, state, "archive-retrieval", definitionFile, [ResourceCatalog.Data], createFunction)
{
    protected override void Grant(string handler, Function target)
    {
        var inventory = Table(ResourceCatalog.Inventory);
        var objects = Bucket(ResourceCatalog.Data).ArnForObjects("*");
        switch (handler)
        {
            case Handlers.RetrievalBegin:
                // The tenant (time scale), the item; HeadObject (its storage class, a restore under way) and RestoreObject.
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                GrantTable(target, inventory, "dynamodb:GetItem");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject", "s3:GetObjectVersion", "s3:RestoreObject"], Resources = [objects] }));
                break;
            case Handlers.RetrievalCheckRestore:
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                GrantTable(target, inventory, "dynamodb:GetItem");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject", "s3:GetObjectVersion"], Resources = [objects] }));
                break;
            case Handlers.RetrievalMakeReadable:
                // The archived object read (a record's own version), the record put back beside the item's window, in one
                // transaction conditional on the item still being archived.
                GrantTable(target, Table(ResourceCatalog.Tenants), "dynamodb:GetItem");
                GrantTable(target, inventory, "dynamodb:GetItem", "dynamodb:UpdateItem");
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:PutItem");
                target.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["s3:GetObject", "s3:GetObjectVersion"], Resources = [objects] }));
                break;
            case Handlers.RetrievalRearchive:
                // The item's window removed and a record's copy deleted in one transaction; the item's retrieval lock ends.
                GrantTable(target, inventory, "dynamodb:GetItem", "dynamodb:UpdateItem");
                GrantTable(target, Table(ResourceCatalog.Records), "dynamodb:DeleteItem");
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            case Handlers.RetrievalRecordFailure:
                GrantErasureLock(target, "dynamodb:DeleteItem");
                break;
            default:
                throw new InvalidOperationException($"The archive retrieval workflow names a handler without grants: {handler}. Add its grants to ArchiveRetrievalWorkflow.");
        }
    }

    protected override string Describe(string handler) => handler switch
    {
        Handlers.RetrievalBegin => "Archive retrieval: asks S3 to restore an archived item's object at the requested tier.",
        Handlers.RetrievalCheckRestore => "Archive retrieval: looks whether S3 has restored the object (gives up after 48 hours, scaled).",
        Handlers.RetrievalMakeReadable => "Archive retrieval: makes the restored item readable (a record put back, a file downloadable) for 7 days.",
        Handlers.RetrievalRearchive => "Archive retrieval: archives the item again after its window and completes the job.",
        Handlers.RetrievalRecordFailure => "Archive retrieval: records a failure on the job and in the audit (the Catch of every Task).",
        _ => $"Archive retrieval step {handler}.",
    };
}
