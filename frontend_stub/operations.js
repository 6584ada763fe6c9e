// Every GraphQL operation the step-2 screen sends, each in its own constant so that another
// frontend (React, Vue, ...) can copy them as they are.
//
// QUOTE_STEP2 is all that the screen needs of a quote. The query, every mutation payload and
// the subscription select it, so the screen re-renders the same way whatever brought the data.

export const USER_ERROR_FIELDS = /* GraphQL */ `
  fragment UserErrorFields on UserError {
    code
    message
    field
    assignmentId
    function
  }
`;

export const QUOTE_STEP2 = /* GraphQL */ `
  fragment QuoteStep2 on Quote {
    id
    reference
    status
    version
    viewerCanEdit
    orderedAt
    client { id name }
    lines {
      id
      quantity
      product { id code name requiresOnSiteContact requiresDeliveryContact }
    }
    assignments {
      id
      source
      lastName
      firstName
      email
      phone
      phoneIsMobile
      role
      functions
      contact { id canEdit }
    }
    contactRequirements { function min max count summary }
    eligibleContacts {
      client { ...EligibleContactFields }
      partner { ...EligibleContactFields }
    }
    contactValidation {
      isValid
      errors { ...UserErrorFields }
      warnings { ...UserErrorFields }
    }
  }

  fragment EligibleContactFields on EligibleContact {
    canAdd
    reasons { ...UserErrorFields }
    contact {
      id
      lastName
      firstName
      email
      phone
      role
      missingFields
      isComplete
      canEdit
    }
  }
  ${USER_ERROR_FIELDS}
`;

export const VIEWER_QUERY = /* GraphQL */ `
  query Viewer {
    viewer { id name email permissions partner { id name } }
    contactFunctions { function label help }
  }
`;

export const QUOTES_QUERY = /* GraphQL */ `
  query Quotes($first: Int = 100) {
    quotes(first: $first) {
      edges { node { id reference status client { id name } } }
    }
  }
`;

export const QUOTE_QUERY = /* GraphQL */ `
  query QuoteStep2($id: ID!) {
    quote(id: $id) { ...QuoteStep2 }
  }
  ${QUOTE_STEP2}
`;

export const ASSIGN_CONTACT = /* GraphQL */ `
  mutation AssignContact($input: AssignContactInput!) {
    assignContact(input: $input) {
      quote { ...QuoteStep2 }
      assignment { id }
      userErrors { ...UserErrorFields }
    }
  }
  ${QUOTE_STEP2}
`;

export const ASSIGN_ADHOC_CONTACT = /* GraphQL */ `
  mutation AssignAdhocContact($input: AssignAdhocContactInput!) {
    assignAdhocContact(input: $input) {
      quote { ...QuoteStep2 }
      assignment { id }
      userErrors { ...UserErrorFields }
    }
  }
  ${QUOTE_STEP2}
`;

export const UNASSIGN_CONTACT = /* GraphQL */ `
  mutation UnassignContact($input: UnassignContactInput!) {
    unassignContact(input: $input) {
      quote { ...QuoteStep2 }
      userErrors { ...UserErrorFields }
    }
  }
  ${QUOTE_STEP2}
`;

export const SET_ASSIGNMENT_FUNCTION = /* GraphQL */ `
  mutation SetAssignmentFunction($input: SetAssignmentFunctionInput!) {
    setAssignmentFunction(input: $input) {
      quote { ...QuoteStep2 }
      assignment { id functions }
      userErrors { ...UserErrorFields }
    }
  }
  ${QUOTE_STEP2}
`;

export const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      quote { ...QuoteStep2 }
      userErrors { ...UserErrorFields }
    }
  }
  ${QUOTE_STEP2}
`;

// Completes an incomplete enterprise contact on the spot (needs CONTACT_EDIT).
export const UPDATE_CONTACT = /* GraphQL */ `
  mutation UpdateContact($input: UpdateContactInput!) {
    updateContact(input: $input) {
      contact { id isComplete missingFields }
      userErrors { ...UserErrorFields }
    }
  }
  ${USER_ERROR_FIELDS}
`;

export const QUOTE_CONTACTS_CHANGED = /* GraphQL */ `
  subscription QuoteContactsChanged($quoteId: ID!) {
    quoteContactsChanged(quoteId: $quoteId) {
      kind
      actor
      assignmentId
      quote { ...QuoteStep2 }
    }
  }
  ${QUOTE_STEP2}
`;

// Ready-made contact lists for a draft (read above an empty or short list, again after each
// change of the quote): what each would add, and why some of it would not be.
export const CONTACT_SUGGESTIONS = /* GraphQL */ `
  query ContactSuggestions($id: ID!) {
    quote(id: $id) {
      id
      version
      contactSuggestions(first: 3) {
        source
        label
        canApply
        fromQuote { id reference }
        entries {
          contact { id }
          lastName
          firstName
          functions
          problems { ...UserErrorFields contactId }
        }
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;

export const APPLY_CONTACT_SUGGESTION = /* GraphQL */ `
  mutation ApplyContactSuggestion($input: ApplyContactSuggestionInput!) {
    applyContactSuggestion(input: $input) {
      quote { ...QuoteStep2 }
      applied { id lastName firstName functions }
      skipped { ...UserErrorFields contactId }
      userErrors { ...UserErrorFields contactId }
    }
  }
  ${QUOTE_STEP2}
`;

// Saves a list as the client's default contacts (needs CONTACT_EDIT).
export const SET_CONTACT_DEFAULTS = /* GraphQL */ `
  mutation SetContactDefaults($input: SetContactDefaultsInput!) {
    setContactDefaults(input: $input) {
      enterprise { id name contactDefaults { contact { id } functions } }
      userErrors { ...UserErrorFields contactId }
    }
  }
  ${USER_ERROR_FIELDS}
`;

// The quote's contact history, newest first: who changed what, and when, `summary` in the
// language asked. The screen reads the latest entries under the list (again whenever the quote
// it shows gets a new version) and, on demand, the older ones by pages (`after`: the cursor of
// the last entry shown). Kept out of QUOTE_STEP2 so that a change's answer and events stay as
// they were.
export const QUOTE_HISTORY = /* GraphQL */ `
  query QuoteHistory($id: ID!, $first: Int = 5, $after: String) {
    quote(id: $id) {
      id
      history(first: $first, after: $after) {
        edges {
          cursor
          node { id at summary }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;
