/** The largest value an int4 column holds; counts and lengths past it cannot be stored or compared in SQL. */
export const INT4_MAX = 2_147_483_647;
