// An Optic ruleset for what Optic's own breaking-changes ruleset lets pass
// on parameters. Like breaking-changes, it lets a change pass when
// info.version's major number rises.
// - Removing a query or header parameter, even an optional one, breaks the
//   clients that send it (their request now means something else).
// - Removing an enum option from the items of an array parameter (a sort
//   key of `sort`) breaks the clients that send it: breaking-changes checks
//   a parameter's own enum only, not its items'.
const { OperationRule, Ruleset, RuleError } = require("@useoptic/rulesets-base");

const preventParameterRemoval = (location) =>
  new OperationRule({
    name: `prevent removing ${location} parameters`,
    rule: (operation) => {
      operation[`${location}Parameter`].removed((before) => {
        throw new RuleError({
          message: `cannot remove ${location} parameter '${before.value.name}'. This is a breaking change.`,
        });
      });
    },
  });

const itemsEnum = (schema) => (Array.isArray(schema?.items?.enum) ? schema.items.enum : null);

const preventItemsEnumRemoval = (location) =>
  new OperationRule({
    name: `prevent removing enum options from the items of ${location} parameters`,
    rule: (operation) => {
      operation[`${location}Parameter`].changed((before, after) => {
        const was = itemsEnum(before.value?.schema);
        const now = itemsEnum(after.value?.schema);
        // Items that lost their enum take any value: wider, not breaking.
        if (!was || !now) return;
        const gone = was.filter((option) => !now.includes(option));
        if (gone.length) {
          throw new RuleError({
            message: `cannot remove enum option${gone.length > 1 ? "s" : ""} '${gone.join(", ")}' from the items of ${location} parameter '${after.value.name}'. This is a breaking change.`,
          });
        }
      });
    },
  });

module.exports = {
  configSchema: { type: "object" },
  rulesetConstructor: () =>
    new Ruleset({
      name: "parameters",
      matches: (context) => context.specification.versionChange !== "major",
      rules: [
        preventParameterRemoval("query"),
        preventParameterRemoval("header"),
        preventItemsEnumRemoval("query"),
        preventItemsEnumRemoval("header"),
      ],
    }),
};
